import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import client, { type Registry } from 'prom-client';
import { withTimeout } from './http-service.js';
import type { Logger } from './logger.js';
import { QUEUES } from './queues.js';

/** The job states an operator watches: backlog, work in progress, retries waiting, give-ups. */
export const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** A scrape must not hang on a slow Redis; past this the series are dropped for that scrape. */
const COUNT_TIMEOUT_MS = 2000;

/**
 * `bullmq_queue_jobs{queue,state}` for every queue in lib/queues.ts, read from
 * Redis when Prometheus scrapes (so idle processes cost nothing). Several
 * processes may export the same queue; dashboards take `max by (queue, state)`.
 * Returns a close function for the shutdown steps (the connection stays the caller's).
 */
export function registerQueueMetrics(registry: Registry, connection: Redis, logger: Logger): { close(): Promise<void> } {
  const queues = Object.values(QUEUES).map((q) => new Queue(q.name, { connection, prefix: q.prefix }));
  new client.Gauge({
    name: 'bullmq_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed), read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          try {
            const counts = await withTimeout(queue.getJobCounts(...QUEUE_DEPTH_STATES), COUNT_TIMEOUT_MS);
            for (const state of QUEUE_DEPTH_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch (err) {
            // No value beats a stale one: the panel shows a gap and the scrape itself still succeeds.
            logger.warn({ err, queue: queue.name }, 'queue depth not read');
          }
        }),
      );
    },
  });
  return {
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

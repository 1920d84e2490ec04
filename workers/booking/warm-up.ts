import type { Redis } from 'ioredis';
import type { Inventory } from '../../lib/inventory/inventory.js';
import { WARM_UP_CONCERT_ID, warmUpQueue } from '../../lib/warm-up.js';

/**
 * The worker's hot path on synthetic work (why: lib/warm-up.ts): BullMQ's consumer
 * taking and finishing jobs at the worker's concurrency on a throwaway queue, each
 * job a Lua call through the pipelined connection (the read-only stock look, on a
 * concert that does not exist). The decision itself writes the record, so it is not run.
 */
export function workerWarmUp(deps: { inventory: Pick<Inventory, 'peek'>; queueConnection: Redis; concurrency: number }) {
  return () =>
    warmUpQueue(deps.queueConnection, {
      data: { concertId: WARM_UP_CONCERT_ID, seatTypeId: WARM_UP_CONCERT_ID, userId: 'warm-up' },
      concurrency: deps.concurrency,
      process: (job) => deps.inventory.peek(job.data.concertId, job.data.seatTypeId, job.data.userId),
    });
}

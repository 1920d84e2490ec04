import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Decision } from '../../lib/booking-requests.js';
import type { Logger } from '../../lib/logger.js';
import { BOOKING_JOBS, QUEUES, type ReserveJobData } from '../../lib/queues.js';
import { RecordUnreadableError, type BookingDecider } from './booking-decision.js';

type Handler = (job: Job, token?: string) => Promise<unknown>;

/** How soon a job that could not give up (the record unreadable) looks again. */
const GIVE_UP_AGAIN_MS = 5000;
/** A decision takes milliseconds; one still running after this is logged (a hung dependency shows in the log). */
const SLOW_JOB_WARN_MS = 10_000;

export interface BookingWorkerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/** Consumes the bookings queue; every job name must have a handler, checked at start. */
export function startBookingWorker(connection: Redis, decider: BookingDecider, logger: Logger, opts: BookingWorkerOptions) {
  const handlers: Record<(typeof BOOKING_JOBS)[keyof typeof BOOKING_JOBS], Handler> = {
    [BOOKING_JOBS.reserve]: async (job: Job<ReserveJobData>, token?: string): Promise<Decision> => {
      try {
        return await decider.decide(job.data, { mayRepeat: job.attemptsMade > 0 || job.stalledCounter > 0 || job.data.requeued === true });
      } catch (err) {
        if (!isLastAttempt(job)) throw err;
        logger.error({ err, requestId: job.data.requestId }, 'booking could not be recorded after every retry; releasing the seat');
        try {
          return await decider.giveUp(job.data);
        } catch (giveUpErr) {
          if (!(giveUpErr instanceof RecordUnreadableError)) throw giveUpErr;
          // Not failed (that would leave the fan without an answer): the same last try, later.
          logger.warn({ requestId: job.data.requestId, retryInMs: GIVE_UP_AGAIN_MS }, 'the record cannot be read to give up safely; trying again later');
          await job.moveToDelayed(Date.now() + GIVE_UP_AGAIN_MS, token);
          throw new DelayedError();
        }
      }
    },
  };
  for (const name of Object.values(BOOKING_JOBS)) {
    if (!handlers[name]) throw new Error(`booking worker has no handler for job "${name}"`);
  }

  const worker = new Worker(
    QUEUES.bookings.name,
    async (job, token) => {
      const handler = handlers[job.name as keyof typeof handlers];
      if (!handler) throw new Error(`no handler for job "${job.name}" (id ${job.id})`);
      const started = Date.now();
      const slow = setInterval(() => logger.warn({ jobId: job.id, runningMs: Date.now() - started }, 'booking job still running'), SLOW_JOB_WARN_MS);
      try {
        return await handler(job, token);
      } finally {
        clearInterval(slow);
      }
    },
    {
      connection,
      prefix: QUEUES.bookings.prefix,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs,
      stalledInterval: opts.stalledIntervalMs,
      maxStalledCount: 5,
      autorun: true,
    },
  );
  worker.on('failed', (job, err) => {
    logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: err.message }, 'booking job attempt failed');
  });
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'booking job stalled (its worker died); retrying it'));
  worker.on('error', (err) => logger.error({ err }, 'booking worker error'));
  return worker;
}

import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';
import { NOTIFICATION_JOBS, QUEUES, type NotificationJobName } from '../../lib/queues.js';
import type { NotificationMetrics } from './notification.metrics.js';
import { bookingNotificationData, offerNotificationData } from './notification.schemas.js';
import type { DeliveryOutcome, NotificationService } from './notification.service.js';

type JobHandler = (data: unknown) => Promise<DeliveryOutcome>;
export type JobHandlers = Record<NotificationJobName, JobHandler>;

/** Fails at start-up, not at run time, when a job name in lib/queues.ts has no handler. */
export function assertHandlersCover(handlers: Partial<Record<string, JobHandler>>): asserts handlers is JobHandlers {
  const missing = Object.values(NOTIFICATION_JOBS).filter((name) => typeof handlers[name] !== 'function');
  if (missing.length) throw new Error(`notification worker has no handler for job name(s): ${missing.join(', ')}`);
}

function bookingEmailHandler(
  notifications: NotificationService,
  event: NotificationJobName,
  schema: typeof bookingNotificationData | typeof offerNotificationData = bookingNotificationData,
): JobHandler {
  return async (data) => {
    const parsed = schema.safeParse(data);
    // A malformed payload stays malformed: retrying cannot help.
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid ${event} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return notifications.deliver(event, parsed.data);
  };
}

export function notificationHandlers(notifications: NotificationService): JobHandlers {
  return {
    [NOTIFICATION_JOBS.bookingConfirmed]: bookingEmailHandler(notifications, NOTIFICATION_JOBS.bookingConfirmed),
    [NOTIFICATION_JOBS.bookingCancelled]: bookingEmailHandler(notifications, NOTIFICATION_JOBS.bookingCancelled),
    [NOTIFICATION_JOBS.waitingListOffer]: bookingEmailHandler(notifications, NOTIFICATION_JOBS.waitingListOffer, offerNotificationData),
  };
}

const knownEvent = (name: string) => ((Object.values(NOTIFICATION_JOBS) as string[]).includes(name) ? name : 'unknown');
/** For logs only: the payload is not validated yet (the handler does that). */
const bookingIdOf = (data: unknown): unknown => (data as { bookingId?: unknown } | null | undefined)?.bookingId;
// Re-check a busy email at least this often, so a finished owner is noticed quickly.
const BUSY_RECHECK_MS = 500;

/**
 * The consumer of the notifications queue. Created paused: call `run()` once the
 * process is ready. Retries follow the options the producer gave the job
 * (see lib/notification-jobs.ts); a job waiting for another attempt's lease is
 * delayed without spending one of its attempts.
 */
export function createNotificationWorker(opts: {
  handlers: JobHandlers;
  connection: Redis;
  concurrency: number;
  metrics: NotificationMetrics;
  logger: Logger;
  /** Another queue with the same shape; tests use one the running service does not consume. */
  queue?: { name: string; prefix: string };
}): Worker {
  const { handlers, metrics, logger, queue = QUEUES.notifications } = opts;
  assertHandlersCover(handlers);

  const worker = new Worker(
    queue.name,
    async (job: Job<unknown>, token?: string) => {
      if (!Object.hasOwn(handlers, job.name)) {
        logger.error({ jobId: job.id, jobName: job.name }, 'notification job with an unknown name');
        throw new UnrecoverableError(`no handler for job name "${job.name}"`);
      }
      const outcome = await handlers[job.name as NotificationJobName](job.data);
      if (outcome.kind === 'busy') {
        logger.debug({ jobId: job.id, bookingId: bookingIdOf(job.data) }, 'email is being sent by another attempt; checking again shortly');
        await job.moveToDelayed(Math.min(outcome.retryAt.getTime(), Date.now() + BUSY_RECHECK_MS), token);
        throw new DelayedError();
      }
      return outcome.kind;
    },
    { connection: opts.connection, prefix: queue.prefix, concurrency: opts.concurrency, autorun: false },
  );

  worker.on('failed', (job, err) => {
    if (!job) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    const context = { jobId: job.id, jobName: job.name, bookingId: bookingIdOf(job.data), attemptsMade: job.attemptsMade, err: err.message };
    if (final) {
      metrics.email(knownEvent(job.name), 'exhausted');
      logger.error(context, 'notification job failed for good; it stays in the failed set');
    } else {
      metrics.email(knownEvent(job.name), 'failed');
      logger.warn(context, 'notification job failed; it will be retried');
    }
  });
  worker.on('error', (err) => logger.error({ err }, 'notification worker error'));
  return worker;
}

import type { JobsOptions, Queue } from 'bullmq';
import { notificationJobId, type BookingNotificationData, type NotificationJobName } from '../../lib/queues.js';

/**
 * Options for every notification job. Retries ride out a notification service
 * that is down or a mail server that hiccups (1 s, 2 s, 4 s … ≈ 2 min in all);
 * finished jobs are kept long enough for their ids to keep deduplicating, and
 * failed ones long enough to be inspected.
 */
export const notificationJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 10_000 },
  removeOnFail: { count: 50_000 },
} as const satisfies JobsOptions;

/**
 * Queues the email for one booking event. The job id is deterministic, so adding
 * the same event twice while the first job is still kept is a no-op; beyond that
 * the notification service's unique idempotency key still sends it only once.
 * Only a Redis write: callers should not let its failure undo a booking decision.
 */
export function enqueueBookingNotification(queue: Pick<Queue, 'add'>, name: NotificationJobName, data: BookingNotificationData) {
  return queue.add(name, data, { ...notificationJobOptions, jobId: notificationJobId(name, data.bookingId) });
}

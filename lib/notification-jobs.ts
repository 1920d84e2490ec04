import type { JobsOptions, Queue } from 'bullmq';
import { NOTIFICATION_JOBS, notificationJobId, type BookingNotificationData, type NotificationJobName } from './queues.js';
import type { BookingDoc } from './records/booking.record.js';
import { DEFAULT_CURRENCY } from './records/concert.record.js';

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

/** The concert details an email names. */
export interface EmailConcert {
  name: string;
  venue: string;
  startsAt: Date;
  currency?: string;
}

/** Queues the confirmation or cancellation email of a recorded booking (deterministic job id: safe to repeat). */
export function enqueueBookingEmail(queue: Pick<Queue, 'add'>, event: 'confirmed' | 'cancelled', booking: BookingDoc, concert: EmailConcert | null) {
  const occurredAt = event === 'cancelled' ? (booking.cancelledAt ?? booking.createdAt) : booking.createdAt;
  return enqueueBookingNotification(queue, event === 'confirmed' ? NOTIFICATION_JOBS.bookingConfirmed : NOTIFICATION_JOBS.bookingCancelled, {
    bookingId: String(booking._id),
    ticketRef: booking.ticketRef,
    userId: booking.userId,
    userEmail: booking.userEmail,
    concertId: booking.concertId,
    concertName: concert?.name ?? '',
    venue: concert?.venue ?? '',
    startsAt: concert?.startsAt.toISOString() ?? '',
    seatTypeId: booking.seatTypeId,
    seatTypeName: booking.seatTypeName,
    price: booking.price,
    currency: concert?.currency ?? DEFAULT_CURRENCY,
    occurredAt: occurredAt.toISOString(),
  });
}

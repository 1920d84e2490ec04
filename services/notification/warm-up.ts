import type { Redis } from 'ioredis';
import { NOTIFICATION_JOBS, type BookingNotificationData } from '../../lib/queues.js';
import { WARM_UP_CONCERT_ID, warmUpQueue } from '../../lib/warm-up.js';
import { renderBookingEmail } from './email.renderer.js';
import { bookingNotificationData } from './notification.schemas.js';

const FAKE_BOOKING: BookingNotificationData = {
  bookingId: 'warm-up',
  ticketRef: 'warm-up-ticket-reference',
  userId: 'warm-up',
  userEmail: 'warm-up@example.invalid',
  concertId: WARM_UP_CONCERT_ID,
  concertName: 'Warm-up',
  venue: 'Nowhere',
  startsAt: new Date(0).toISOString(),
  seatTypeId: WARM_UP_CONCERT_ID,
  seatTypeName: 'Warm-up',
  price: 79.5,
  currency: 'EUR',
  occurredAt: new Date(0).toISOString(),
};

/**
 * The notification service's hot path on synthetic work (why: lib/warm-up.ts):
 * BullMQ's consumer on a throwaway queue, each job a fake confirmed booking validated
 * and rendered as its email, which is neither sent nor written to the outbox.
 */
export function notificationWarmUp(deps: { connection: Redis; concurrency: number; sender: { from: string; domain: string } }) {
  return () =>
    warmUpQueue(deps.connection, {
      data: FAKE_BOOKING,
      concurrency: deps.concurrency,
      process: (job) => Promise.resolve(renderBookingEmail(NOTIFICATION_JOBS.bookingConfirmed, bookingNotificationData.parse(job.data), deps.sender)),
    });
}

import { z } from 'zod';
import type { BookingNotificationData, OfferNotificationData } from '../../lib/queues.js';

const isoTime = z.string().datetime({ offset: true });
const text = (max: number) => z.string().trim().min(1).max(max);

/** A notification job's payload, checked before anything is rendered or stored. */
export const bookingNotificationData = z.object({
  // Ends up in job ids and Message-IDs, so it stays a plain token.
  bookingId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
  // Printed in the email; newTicketRef() makes 22 characters of base64url.
  ticketRef: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16-64 letters, digits, "_" or "-"'),
  userId: text(64),
  userEmail: z.string().trim().max(254).email(),
  concertId: text(64),
  concertName: text(200),
  venue: text(200),
  startsAt: isoTime,
  seatTypeId: text(64),
  seatTypeName: text(100),
  price: z.number().finite().nonnegative(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .optional(),
  occurredAt: isoTime,
}) satisfies z.ZodType<BookingNotificationData>;

/** A waiting-list offer's payload: a booking's, without a ticket, with the offer's end. */
export const offerNotificationData = bookingNotificationData
  .omit({ ticketRef: true })
  .extend({ expiresAt: isoTime }) satisfies z.ZodType<OfferNotificationData>;

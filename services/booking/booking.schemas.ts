import { z } from 'zod';
import { objectIdString, queryInteger } from '../../lib/validation.js';
import { OFFER_ID_PATTERN } from '../../lib/waiting-list/waiting-list-codes.js';

export const offerIdString = z.string().regex(OFFER_ID_PATTERN, 'must be a waiting-list offer id (12 hex characters, ".", a number)');

export const submitBookingBody = z
  .object({
    concertId: objectIdString,
    seatTypeId: objectIdString,
    /** Accepts this waiting-list offer: the seat held for the fan is booked (no admission token needed). */
    offerId: offerIdString.optional(),
  })
  .strict();

/** RFC 7240 `Prefer: wait=N`, at most 30 seconds. */
export const MAX_WAIT_SECONDS = 30;
export function parsePreferWait(header: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])wait=(\d{1,3})(?:$|[,;\s])/i.exec(header ?? '');
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : undefined;
}

export const idempotencyKeyHeader = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'Idempotency-Key must be 1-100 characters of A-Z a-z 0-9 . _ : -')
  .optional();

/** GET /bookings/by-concert/:concertId (admin). */
export const concertBookingsQuery = z
  .object({
    status: z.enum(['confirmed', 'cancelled']).optional(),
    seatTypeId: objectIdString.optional(),
    limit: queryInteger(1, 500).default(100),
    cursor: objectIdString.optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

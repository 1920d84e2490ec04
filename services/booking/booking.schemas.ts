import { z } from 'zod';
import { objectIdString } from '../../lib/validation.js';

export const submitBookingBody = z.object({ concertId: objectIdString, seatTypeId: objectIdString }).strict();

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

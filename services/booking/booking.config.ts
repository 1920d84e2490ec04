import { z } from 'zod';
import { commonEnv, positiveInt, secret } from '../../lib/config.js';

export const bookingConfigSchema = z.object({
  ...commonEnv,
  /** Tries per booking job before the seat is released and the fan told no (MongoDB down too long). */
  BOOKING_JOB_ATTEMPTS: positiveInt.default(6),
  BOOKING_JOB_BACKOFF_MS: positiveInt.default(500),
  /**
   * Booking submissions one fan may make per window before `429 rate_limited`. A fan
   * needs one seat per concert; a retry that replays an Idempotency-Key's answer is free.
   */
  BOOKING_SUBMIT_LIMIT: positiveInt.default(20),
  BOOKING_SUBMIT_WINDOW_MS: positiveInt.default(60_000),
  /** Accepted requests are written to the record in batches of up to this many, waiting at most this long. */
  REQUEST_BATCH_SIZE: positiveInt.default(200),
  REQUEST_BATCH_WAIT_MS: positiveInt.default(5),
  /** How often the reconciler repairs Redis from the record, and how old an undecided request must be before it is queued again. */
  RECONCILE_EVERY_MS: positiveInt.default(3000),
  RECONCILE_SETTLE_AFTER_MS: positiveInt.default(5000),
  /** How often the reconciler reads the whole record window (the hour of job retention), besides after Redis lost writes. */
  RECONCILE_FULL_EVERY_MS: positiveInt.default(300_000),
  /** How often the waiting lists are tended (expiries, the cut-off, offers announced, places pushed) by the one leader. */
  WAITING_LIST_TICK_MS: positiveInt.default(1000),
  /** How often the ticker also reads from the record which concerts have a waiting list. */
  WAITING_LIST_RECORD_EVERY_MS: positiveInt.default(30_000),
  /** HS256 secret shared with the waiting room, which signs the admission tokens. */
  ADMISSION_TOKEN_SECRET: secret(32),
  /**
   * (Line, account) pairs the sockets of one client IP may watch at once on one node; further
   * `waiting-room:watch` events are ignored (the page polls instead). A household or an office NAT
   * watches a few; many throwaway accounts behind one address cannot keep places alive by socket.
   */
  WAITING_ROOM_WATCHES_PER_IP: positiveInt.default(100),
  /** Origins allowed to open Socket.IO connections from a browser; comma-separated, empty = same origin only. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
});

export type BookingConfig = z.infer<typeof bookingConfigSchema>;

import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';

export const bookingWorkerConfigSchema = z.object({
  ...commonEnv,
  /** Jobs decided at once by this process; they wait on Redis and MongoDB, not on CPU. */
  WORKER_CONCURRENCY: positiveInt.default(100),
  /** A job whose worker stops renewing its lock for this long is retried by another worker. */
  WORKER_LOCK_DURATION_MS: positiveInt.default(10_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt.default(5_000),
  /** Bookings are written to MongoDB in batches of at most this many… */
  RECORD_BATCH_SIZE: positiveInt.default(200),
  /** …collected for at most this long. */
  RECORD_BATCH_WAIT_MS: z.coerce.number().int().min(0).default(4),
});

export type BookingWorkerConfig = z.infer<typeof bookingWorkerConfigSchema>;

import { z } from 'zod';
import { commonEnv } from '../../lib/config.js';

export const concertConfigSchema = z.object({
  ...commonEnv,
  /** The platform's Prometheus, for the console's charts (unset: the charts answer 503). */
  PROMETHEUS_URL: z.string().url().optional(),
});
export type ConcertConfig = z.infer<typeof concertConfigSchema>;

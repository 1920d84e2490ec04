import { z } from 'zod';
import { commonEnv } from '../../lib/config.js';

export const concertConfigSchema = z.object({ ...commonEnv });
export type ConcertConfig = z.infer<typeof concertConfigSchema>;

import { z } from 'zod';
import { LINE_SETTING_BOUNDS as B } from '../lib/waiting-room-limits.js';

const bounded = (b: { min: number; max: number }) => z.number().int().min(b.min).max(b.max);

/** PATCH /:concertId/settings: any of the four, at least one; maxActive 0 lifts the cap. */
export const lineSettingsBody = z
  .object({
    admitPerSecond: bounded(B.admitPerSecond).optional(),
    maxActive: bounded(B.maxActive).optional(),
    claimWindowSeconds: bounded(B.claimWindowSeconds).optional(),
    graceSeconds: bounded(B.graceSeconds).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'name at least one setting');

/** pause, resume and drain take no body (an empty object is fine). */
export const noBody = z.object({}).strict();

import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';

const upstream = z.string().url().startsWith('http');

const isOrigin = (value: string) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
};

export const gatewayConfigSchema = z.object({
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  PORT: commonEnv.PORT.default(3000),
  HOST: commonEnv.HOST,
  SHUTDOWN_TIMEOUT_MS: commonEnv.SHUTDOWN_TIMEOUT_MS,
  AUTH_URL: upstream,
  CONCERT_URL: upstream,
  BOOKING_URL: upstream,
  NOTIFICATION_URL: upstream,
  WAITING_ROOM_URL: upstream,
  /** Where Socket.IO connections go: a service that runs a Socket.IO node. */
  REALTIME_URL: upstream,
  BODY_LIMIT_BYTES: positiveInt.default(64 * 1024),
  UPSTREAM_TIMEOUT_MS: positiveInt.default(35_000),
  /**
   * Origins (scheme://host[:port]) whose browser pages may call the REST API; comma-separated, empty = no
   * cross-origin access. Each must be an exact origin: "https://x.example/" (a path) would never match an
   * Origin header, so it fails at start instead.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((list) => list.every(isOrigin), 'must be comma-separated origins such as https://tickets.example.com (no path, no "*")'),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';

const upstream = z.string().url().startsWith('http');

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
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

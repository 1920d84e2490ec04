import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';
import { isAddressOrSubnet } from './client-address.js';

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
  CLIENT_ADDRESS_SECRET: commonEnv.CLIENT_ADDRESS_SECRET,
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
  /**
   * Load balancers in front of the gateway (IPs or CIDR subnets, comma-separated) whose
   * X-Forwarded-For it believes; empty = the gateway is the edge and the client is the
   * address that connected. Per-IP limits key on the result.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isAddressOrSubnet), 'must be comma-separated IP addresses or CIDR subnets such as 10.0.0.0/8'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isOrigin), 'must be comma-separated origins such as https://tickets.example.com (no path, no "*")'),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

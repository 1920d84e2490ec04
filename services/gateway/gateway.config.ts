import { z } from 'zod';
import { commonEnv, positiveInt } from '../../lib/config.js';
import { isAddressOrSubnet } from './client-address.js';

const isHttpUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};
/** One service's URL, or several comma-separated (copies of it: the edge balances over them). */
const upstream = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(','),
  )
  .refine((v) => v !== '' && v.split(',').every(isHttpUrl), 'must be an http(s) URL, or several comma-separated');

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
  /** HAProxy (the public edge): how long a client may take to send a whole request, headers and body (then 408). */
  EDGE_REQUEST_TIMEOUT_MS: positiveInt.default(10_000),
  /** HAProxy: connections it holds at once (two file descriptors each, within `ulimit -n`); more wait in the kernel's backlog. */
  EDGE_MAXCONN: positiveInt.default(4096),
  /** HAProxy's own /metrics (Prometheus exporter) and /health: a port of its own, never the public one. */
  EDGE_METRICS_PORT: commonEnv.PORT.default(8405),
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

/**
 * Which environment variables each process of the platform reads, taken from the
 * processes' own config schemas (the `*.config.ts` zod objects they validate their
 * environment with). `npm start` passes exactly these through to each process, so a
 * variable added to a schema reaches its process without anyone keeping a list.
 */
import { z } from 'zod';
import { authConfigSchema } from '../../services/auth/auth.config.js';
import { bookingConfigSchema } from '../../services/booking/booking.config.js';
import { concertConfigSchema } from '../../services/concert/concert.config.js';
import { gatewayConfigSchema } from '../../services/gateway/gateway.config.js';
import { notificationConfigSchema } from '../../services/notification/notification.config.js';
import { waitingRoomConfigSchema } from '../../waiting-room/waiting-room.config.js';
import { bookingWorkerConfigSchema } from '../../workers/booking/booking-worker.config.js';
import type { ServiceName } from './platform.js';

/** The schema each process validates its environment with at start. */
export const CONFIG_SCHEMAS: Record<ServiceName, z.ZodTypeAny> = {
  auth: authConfigSchema,
  concert: concertConfigSchema,
  booking: bookingConfigSchema,
  notification: notificationConfigSchema,
  'waiting-room': waitingRoomConfigSchema,
  'booking-worker': bookingWorkerConfigSchema,
  gateway: gatewayConfigSchema,
};

function shapeOf(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodTypeAny>;
  if (schema instanceof z.ZodEffects) return shapeOf(schema.innerType() as z.ZodTypeAny);
  throw new Error('a config schema must be a zod object (optionally refined)');
}

/** Each variable one process reads, with the schema of its value. */
export function configShape(name: ServiceName): Record<string, z.ZodTypeAny> {
  return shapeOf(CONFIG_SCHEMAS[name]);
}

/** The variables one process reads. */
export function configVariables(name: ServiceName): string[] {
  return Object.keys(configShape(name));
}

/**
 * Variables the development stack sets itself for every process it starts: each
 * service's PORT (a free one; the gateway's is `npm start`'s own PORT) and where the
 * gateway finds the services it started. A value from outside would point the gateway
 * away from them, so these are not passed through.
 */
export const STACK_MANAGED = new Set(['PORT', 'AUTH_URL', 'CONCERT_URL', 'BOOKING_URL', 'NOTIFICATION_URL', 'WAITING_ROOM_URL']);

/** The variables of `env` that process `name` reads, except the ones the stack sets itself. */
export function passThroughEnv(name: ServiceName, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const passed: Record<string, string> = {};
  for (const key of configVariables(name)) {
    const value = env[key];
    if (value !== undefined && !STACK_MANAGED.has(key)) passed[key] = value;
  }
  return passed;
}

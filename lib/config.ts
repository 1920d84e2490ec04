import { z } from 'zod';

/** Thrown at boot when the environment does not satisfy a process's config schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against one process's schema. This is the only place
 * that reads `process.env`; every process calls it once at start and fails fast.
 */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return parsed.data as z.infer<S>;
}

/** A PEM key given inline; `\n` escapes are accepted so keys fit in one env line. */
export const pemKey = z
  .string()
  .min(1)
  .transform((v) => v.replace(/\\n/g, '\n'))
  .refine((v) => v.includes('-----BEGIN'), 'must be a PEM key');

export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Variables every service process shares. */
export const commonEnv = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port,
  HOST: z.string().min(1).default('127.0.0.1'),
  MONGO_URL: z.string().url().startsWith('mongodb'),
  REDIS_URL: z.string().url().startsWith('redis'),
  JWT_PUBLIC_KEY: pemKey,
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
};

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
  const data = parsed.data as Record<string, unknown>;
  if (data.NODE_ENV === 'production') {
    const problems = Object.entries(shapeOf(schema)).flatMap(([key, field]) => {
      const value = data[key];
      const why = SECRETS.has(field) && typeof value === 'string' ? weakSecret(value) : undefined;
      return why ? [`${key}: ${why} (refused in production; \`bash scripts/make-env.sh\` writes random secrets)`] : [];
    });
    if (problems.length) throw new ConfigError(problems);
  }
  return parsed.data as z.infer<S>;
}

function shapeOf(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodTypeAny>;
  if (schema instanceof z.ZodEffects) return shapeOf(schema.innerType() as z.ZodTypeAny);
  return {};
}

/** The schemas made by `secret()`: loadConfig checks their values when NODE_ENV=production. */
const SECRETS = new WeakSet<z.ZodTypeAny>();

/**
 * Values published with the project: every "replace-me" of .env.example and the
 * development stack's defaults (scripts/stack/platform.ts DEV_ADMIN). Anyone can read
 * them, so a production process refuses them, whatever their length.
 */
export const PUBLISHED_SECRETS: readonly string[] = [
  'replace-me-with-a-long-password',
  'replace-me-with-32-or-more-random-characters',
  'replace-me',
  'change-me-admin-password',
];
const PLACEHOLDER = /replace[-_ ]?me|change[-_ ]?me/i;
/** Fewer different characters than this and a secret is a pattern, not a secret. */
export const SECRET_MIN_DISTINCT_CHARACTERS = 10;
/** Production's floor for any secret; `secret()` may ask for more. */
export const SECRET_MIN_LENGTH_IN_PRODUCTION = 16;

/** Why `value` is not good enough for a production secret, or undefined when it is. */
export function weakSecret(value: string): string | undefined {
  if (PUBLISHED_SECRETS.includes(value) || PLACEHOLDER.test(value)) return 'is a published placeholder or default value';
  if (value.length < SECRET_MIN_LENGTH_IN_PRODUCTION) return `is too short (at least ${SECRET_MIN_LENGTH_IN_PRODUCTION} characters)`;
  if (new Set(value).size < SECRET_MIN_DISTINCT_CHARACTERS) return `has too little variety (at least ${SECRET_MIN_DISTINCT_CHARACTERS} different characters)`;
  return undefined;
}

/**
 * A password or signing secret: at least `minLength` characters everywhere, and with
 * NODE_ENV=production not a published placeholder, not short, not a pattern
 * (`weakSecret`; loadConfig reports it by variable name at boot).
 */
export function secret(minLength: number) {
  const schema = z.string().min(minLength, `must be at least ${minLength} characters`);
  SECRETS.add(schema);
  return schema;
}

/** A PEM key given inline; `\n` escapes are accepted so keys fit in one env line. */
export const pemKey = z
  .string()
  .min(1)
  .transform((v) => v.replace(/\\n/g, '\n'))
  .refine((v) => v.includes('-----BEGIN'), 'must be a PEM key')
  .refine((v) => !/replace[-_ ]?me/i.test(v), 'is the placeholder of .env.example, not a key');

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
  /** Shared with the gateway: proves the client address it forwards (lib/client-address-proof.ts). Unset: no forwarded address is believed. */
  CLIENT_ADDRESS_SECRET: secret(32).optional(),
};

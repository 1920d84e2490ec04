import type { Redis } from 'ioredis';
import { AppError } from './errors.js';
import { defineLuaCommands, KERNEL_LUA_DIR } from './lua-scripts.js';

interface RateLimitCommands {
  rateLimit(counterKey: string, windowMs: number, limit: number): Promise<[number, number]>;
}

export interface RateLimitRule {
  /** Short name of what is limited, e.g. `login-ip`. */
  name: string;
  limit: number;
  windowMs: number;
}

/** The 429 every limit answers with: the public error shape and Retry-After in whole seconds. */
export function rateLimitedError(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('rate_limited', `Too many attempts; retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
}

/** Redis-backed fixed-window limiter shared by every process that limits anything. */
export function createRateLimiter(redis: Redis) {
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['rate-limit-1.lua']);
  const commands = redis as unknown as RateLimitCommands;
  return {
    /** Counts a hit for `subject`; throws 429 `rate_limited` with Retry-After when over the limit. */
    async hit(rule: RateLimitRule, subject: string): Promise<void> {
      const key = `{ratelimit:${rule.name}:${subject}}`;
      const [allowed, retryAfterMs] = await commands.rateLimit(key, rule.windowMs, rule.limit);
      if (allowed !== 1) throw rateLimitedError(retryAfterMs);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from './errors.js';

/** Parses with a zod schema and throws the public `validation_failed` error with per-field details. */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers' = 'body'): z.infer<S> {
  const parsed = schema.safeParse(where === 'headers' ? value : (value ?? {}));
  if (!parsed.success) {
    throw new AppError(
      'validation_failed',
      `Invalid request ${where}`,
      parsed.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message })),
    );
  }
  return parsed.data as z.infer<S>;
}

/** Rejects bodies of requests that are not JSON with 415 (only when a body is present). */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction) {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) return next(new AppError('unsupported_media_type'));
  next();
}

/** Object ids are 24 hex chars; anything else is a 404 for path params, never a cast error. */
export const objectIdString = z
  .string()
  .regex(/^[a-f0-9]{24}$/i, 'must be a 24-character hex id')
  .transform((v) => v.toLowerCase());

// A surrogate half without its partner: not text, and stored it would silently become U+FFFD.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Human text: trimmed, no control characters (C0, DEL and C1 alike: \p{Cc}), well-formed UTF-16. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !/\p{Cc}/u.test(v), 'must not contain control characters')
    .refine((v) => !LONE_SURROGATE.test(v), 'must be well-formed Unicode');

/**
 * An integer query parameter in decimal digits. z.coerce.number() would read ''
 * and ' ' as 0, '0x10' as 16, '1e3' as 1000 and '10\n' as 10: a typo or a probe
 * must be a 400, not a different page.
 */
export const queryInteger = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v),
    z.number({ invalid_type_error: 'must be a whole number in decimal digits' }).int().min(min).max(max),
  );

export const pagination = z
  .object({
    limit: queryInteger(1, 100).default(20),
    offset: queryInteger(0, 100_000).default(0),
  })
  .strict();

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
  return parsed.data;
}

/** Rejects bodies of requests that are not JSON with 415 (only when a body is present). */
export function requireJsonBody(req: Request, _res: Response, next: NextFunction) {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) return next(new AppError('unsupported_media_type'));
  next();
}

/** Object ids are 24 hex chars; anything else is a 404 for path params, never a cast error. */
export const objectIdString = z.string().regex(/^[a-f0-9]{24}$/i, 'must be a 24-character hex id').transform((v) => v.toLowerCase());

/** Human text: trimmed, no control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

export const pagination = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();

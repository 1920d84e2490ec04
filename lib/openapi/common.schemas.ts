import { z } from './zod-openapi.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

/*
 * The building blocks every component's response schemas share (`<component>.openapi.ts`
 * declares its resources' schemas with them) and the public error shape. The services
 * build their answers with plain TypeScript (toPublicUser, toPublicBooking, ...); each
 * response schema `satisfies` that type, so a field added to or removed from a service's
 * answer fails the typecheck, and the contract test validates every response the Postman
 * run receives against them. Strict objects: an undocumented field in a response is a
 * contract failure.
 */

/** A timestamp as the services answer it (ISO 8601). */
export const isoTime = z.string().datetime({ offset: true });
/** A MongoDB ObjectId as the services answer it (24 hex characters). */
export const objectId = z.string().regex(/^[a-f0-9]{24}$/);

/** `details` of `validation_failed`: one entry per failing field. */
export const validationIssue = z.object({ path: z.string(), message: z.string() }).strict();

/** The public error shape, narrowed to the codes one response can carry. */
export function errorResponse(codes: readonly ErrorCode[]) {
  const [first, ...rest] = codes;
  return z
    .object({
      error: z
        .object({
          code: z.enum([first, ...rest]),
          message: z.string(),
          details: z.unknown().optional(),
        })
        .strict(),
    })
    .strict();
}

export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

import { z } from './zod-openapi.js';
import type { ErrorCode } from '../errors.js';
import { objectIdString } from '../validation.js';

/**
 * One public operation the gateway forwards, described with the zod schemas the
 * service validates with (request) and the response schemas of its resources. Each
 * component declares its own next to its routes (`<component>.openapi.ts`); the
 * gateway builds the OpenAPI document from all of them (services/gateway/openapi-document.ts),
 * and the contract tests check them against the services' Express routers and the
 * error-code registry.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/api/v1/concerts/{id}`. */
  path: string;
  operationId: string;
  tag: 'auth' | 'concerts' | 'bookings' | 'waiting-list' | 'notifications' | 'waiting-room' | 'pages';
  summary: string;
  /** Markdown (paragraphs, lists, `code`, **bold**, *emphasis*, links), as the docs page renders it. */
  description?: string;
  /** Who may call it; `admin` operations are marked `x-required-role: admin` in the document. */
  access: 'anyone' | 'user' | 'admin';
  request?: {
    body?: z.ZodTypeAny;
    /** A valid body, the document's example (required with `body`; the contract test parses it with `body`). */
    bodyExample?: unknown;
    query?: z.AnyZodObject;
    params?: z.AnyZodObject;
    headers?: z.AnyZodObject;
  };
  /**
   * Success answers by status; `schema` absent for an empty body; JSON unless `contentType` says otherwise;
   * `example` required with `schema` (the contract test parses it with `schema`).
   */
  responses: Record<
    number,
    {
      description: string;
      schema?: z.ZodTypeAny;
      example?: unknown;
      contentType?: string;
      headers?: Record<string, string>;
      /** The same answer in another media type, chosen by a query parameter (a CSV export beside the JSON). */
      alternative?: { contentType: string; schema: z.ZodTypeAny; example: unknown };
    }
  >;
  /** Error codes this operation can answer with, beyond the ones every operation shares. */
  errors: ErrorCode[];
}

/** Codes any operation can answer with: the kernel's and the edge's (HAProxy: a request not whole within its timeout is 408). */
export const SHARED_ERRORS: ErrorCode[] = [
  'malformed_request',
  'request_timeout',
  'route_not_found',
  'headers_too_large',
  'internal_error',
  'upstream_unavailable',
  'service_unavailable',
];
/** Codes of any operation that reads a JSON body. */
export const BODY_ERRORS: ErrorCode[] = ['validation_failed', 'malformed_json', 'unsupported_media_type', 'payload_too_large'];

/** Path parameters `{name}` holding the id of a `what`. */
export const idParam = (name: string, what: string) => z.object({ [name]: objectIdString.describe(`${what} id (24 hex characters)`) });

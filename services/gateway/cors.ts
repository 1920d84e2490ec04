import { API_OPERATIONS } from './openapi-document.js';

/**
 * CORS for the REST API, answered by HAProxy (haproxy/haproxy-config.ts) for the origins in
 * CORS_ORIGINS only: every answer to an allowed origin (errors and 404s included) carries
 * Access-Control-Allow-Origin, its preflights are answered at the edge, other origins get no
 * CORS headers and their preflights are refused. Socket.IO has its own, in the realtime service.
 */

/** Request headers a browser page may send to the API (besides the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'X-Admission-Token', 'X-Request-Id'];
/** Response headers a page may read: where to poll, when to retry, what was applied, which request it was. */
export const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'Preference-Applied', 'X-Request-Id'];
/** How long a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The methods the public API uses, from the same list the OpenAPI document is built from. */
export const CORS_ALLOWED_METHODS = [...new Set(API_OPERATIONS.map((op) => op.method.toUpperCase()))].sort();

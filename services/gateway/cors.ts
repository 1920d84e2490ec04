import type http from 'node:http';
import { API_OPERATIONS } from './openapi-document.js';

/** Request headers a browser page may send to the API (besides the CORS-safelisted ones). */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'X-Admission-Token', 'X-Request-Id'];
/** Response headers a page may read: where to poll, when to retry, what was applied, which request it was. */
export const CORS_EXPOSED_HEADERS = ['Location', 'Retry-After', 'Preference-Applied', 'X-Request-Id'];
/** How long a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The methods the public API uses, from the same list the OpenAPI document is built from. */
export const CORS_ALLOWED_METHODS = [...new Set(API_OPERATIONS.map((op) => op.method.toUpperCase()))].sort();

export type CorsOutcome = 'not-cors' | 'allowed' | 'refused-preflight' | 'allowed-preflight';

/**
 * Cross-origin access to the REST API for the configured origins only. Called
 * before anything answers, so every response to an allowed origin (errors and
 * 404s included) carries Access-Control-Allow-Origin, and a preflight is
 * answered here without reaching a service. Disallowed origins get no CORS
 * headers at all; their preflights are refused.
 */
export function createCors(origins: readonly string[]) {
  const allowed = new Set(origins);
  const exposed = CORS_EXPOSED_HEADERS.join(', ');
  const methods = CORS_ALLOWED_METHODS.join(', ');
  const headers = CORS_ALLOWED_HEADERS.join(', ');

  return function applyCors(req: http.IncomingMessage, res: http.ServerResponse): CorsOutcome {
    // The answer depends on Origin whenever some origin is allowed: caches must not hand one origin's answer to another.
    if (allowed.size > 0) res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined) return 'not-cors';
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!allowed.has(origin)) return preflight ? 'refused-preflight' : 'not-cors';
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', exposed);
      return 'allowed';
    }
    res.setHeader('Access-Control-Allow-Methods', methods);
    res.setHeader('Access-Control-Allow-Headers', headers);
    res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_SECONDS));
    return 'allowed-preflight';
  };
}

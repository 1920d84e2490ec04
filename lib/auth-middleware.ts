import { createPublicKey, type KeyObject } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { AppError } from './errors.js';
import type { AuthenticatedUser } from './request-context.js';
import type { RevokedUsers } from './revoked-users.js';

export const ACCESS_TOKEN_ISSUER = 'onsale-auth';
export const ACCESS_TOKEN_AUDIENCE = 'onsale-api';

// Parsing the PEM costs more than the RSA check itself: do it once per key, not per request.
const parsedKeys = new Map<string, KeyObject>();
const keyObject = (pem: string) => {
  let key = parsedKeys.get(pem);
  if (!key) parsedKeys.set(pem, (key = createPublicKey(pem)));
  return key;
};

/** What every process that serves users checks an access token with. */
export interface AccessTokenVerifier {
  /** The token's user; throws 401 `token_expired` when it is ours but expired, 401 `unauthorized` when it is bad or revoked. */
  verify(token: string): AuthenticatedUser;
}

/**
 * The signature, claims and lifetime (verifyAccessToken), then the in-memory list of
 * revoked users (lib/revoked-users.ts): no Redis round trip per request.
 */
export function accessTokenVerifier(publicKey: string, revoked: Pick<RevokedUsers, 'isRevoked'>): AccessTokenVerifier {
  return {
    verify(token) {
      const { user, issuedAt } = verifyAccessToken(token, publicKey);
      if (revoked.isRevoked(user.id, issuedAt)) throw new AppError('unauthorized', 'This session was revoked; sign in again');
      return user;
    },
  };
}

/** The claims read from a verified access token (JwtPayload types most as `any`); each is checked before use. */
interface AccessTokenClaims {
  sub?: unknown;
  role?: unknown;
  email?: unknown;
  iat?: unknown;
}

/** Verifies an RS256 access token with the public key (only Auth holds the private key); no revocation check. */
export function verifyAccessToken(token: string, publicKey: string): { user: AuthenticatedUser; issuedAt: number | undefined } {
  const options = { algorithms: ['RS256' as const], issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE };
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, keyObject(publicKey), options) as jwt.JwtPayload;
  } catch (err) {
    // Only a token that is ours in every other respect is told it expired: the app refreshes instead of signing in again.
    if (err instanceof jwt.TokenExpiredError && isOursButForExpiry(token, publicKey, options)) {
      throw new AppError('token_expired', 'The access token has expired; get a new one from /api/v1/auth/refresh');
    }
    throw new AppError('unauthorized', 'Invalid access token');
  }
  const { sub, role, email, iat }: AccessTokenClaims = claims;
  if (typeof sub !== 'string' || (role !== 'fan' && role !== 'admin') || typeof email !== 'string') {
    throw new AppError('unauthorized', 'Malformed access token');
  }
  return { user: { id: sub, role, email }, issuedAt: typeof iat === 'number' ? iat : undefined };
}

function isOursButForExpiry(token: string, publicKey: string, options: jwt.VerifyOptions): boolean {
  try {
    jwt.verify(token, keyObject(publicKey), { ...options, ignoreExpiration: true });
    return true;
  } catch {
    return false;
  }
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim());
  return match?.[1];
}

/** An answer no cache may keep: tokens, and whatever is about the signed-in caller. */
export function noStore(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** Signed-in callers only; their answers are personal, so none is kept by a cache (Cache-Control: no-store). */
export function requireUser(tokens: AccessTokenVerifier) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = bearerToken(req);
    if (!token) return next(new AppError('unauthorized', 'Send an access token as "Authorization: Bearer <token>"'));
    try {
      req.user = tokens.verify(token);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function requireAdmin(req: Request, _res: Response, next: NextFunction) {
  if (req.user?.role !== 'admin') return next(new AppError('forbidden', 'Admins only'));
  next();
}

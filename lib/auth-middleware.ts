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
  /** The token's user; throws 401 `unauthorized` when the token is bad, expired or revoked. */
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
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, keyObject(publicKey), {
      algorithms: ['RS256'],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
    }) as jwt.JwtPayload;
  } catch {
    throw new AppError('unauthorized', 'Invalid or expired access token');
  }
  const { sub, role, email, iat }: AccessTokenClaims = claims;
  if (typeof sub !== 'string' || (role !== 'fan' && role !== 'admin') || typeof email !== 'string') {
    throw new AppError('unauthorized', 'Malformed access token');
  }
  return { user: { id: sub, role, email }, issuedAt: typeof iat === 'number' ? iat : undefined };
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim());
  return match?.[1];
}

export function requireUser(tokens: AccessTokenVerifier) {
  return (req: Request, _res: Response, next: NextFunction) => {
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

import { createPublicKey, type KeyObject } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { AppError } from './errors.js';
import type { AuthenticatedUser } from './request-context.js';

export const ACCESS_TOKEN_ISSUER = 'onsale-auth';
export const ACCESS_TOKEN_AUDIENCE = 'onsale-api';

// Parsing the PEM costs more than the RSA check itself: do it once per key, not per request.
const parsedKeys = new Map<string, KeyObject>();
const keyObject = (pem: string) => {
  let key = parsedKeys.get(pem);
  if (!key) parsedKeys.set(pem, (key = createPublicKey(pem)));
  return key;
};

/** Verifies an RS256 access token with the public key; only Auth holds the private key. */
export function verifyAccessToken(token: string, publicKey: string): AuthenticatedUser {
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
  const { sub, role, email } = claims;
  if (typeof sub !== 'string' || (role !== 'fan' && role !== 'admin') || typeof email !== 'string') {
    throw new AppError('unauthorized', 'Malformed access token');
  }
  return { id: sub, role, email };
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim());
  return match?.[1];
}

export function requireUser(publicKey: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) return next(new AppError('unauthorized', 'Send an access token as "Authorization: Bearer <token>"'));
    try {
      req.user = verifyAccessToken(token, publicKey);
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

import { fileURLToPath } from 'node:url';
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../../lib/auth-middleware.js';
import { AppError } from '../../lib/errors.js';
import { defineLuaCommands } from '../../lib/lua-scripts.js';
import { revokeUser, type RevokedUsers } from '../../lib/revoked-users.js';
import type { Role } from './user.repository.js';

const LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');

/** Return codes of rotate-refresh-token-3.lua. */
export enum RotateResult {
  Rotated = 1,
  Invalid = -1,
  Reused = -2,
  FamilyRevoked = -3,
}

interface TokenCommands {
  rotateRefreshToken(
    presentedKey: string,
    familiesKey: string,
    newKey: string,
    familyId: string,
    presentedHash: string,
    newHash: string,
    ttlSeconds: number,
  ): Promise<number>;
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');
const randomId = (bytes: number) => randomBytes(bytes).toString('base64url');
const tokenKey = (userId: string, tokenId: string) => `{user:${userId}}:refresh:${tokenId}`;
/** The user's live refresh-token families: a token whose family is not here is refused (expired, signed out, reused). */
export const familiesKey = (userId: string) => `{user:${userId}}:refresh-families`;

// <userId>.<familyId>.<tokenId>.<secret>: the ids locate the Redis keys, only the secret's hash is stored.
const REFRESH_TOKEN = /^([a-f0-9]{24})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface TokenSettings {
  privateKey: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export function createTokenService(redis: Redis, revokedUsers: RevokedUsers, settings: TokenSettings) {
  defineLuaCommands(redis, LUA_DIR, ['rotate-refresh-token-3.lua']);
  const commands = redis as unknown as TokenCommands;
  // Parsed once: re-reading the PEM on every sign costs more than the signature.
  const signingKey = createPrivateKey(settings.privateKey);

  function signAccessToken(user: { id: string; role: Role; email: string }): string {
    return jwt.sign({ role: user.role, email: user.email }, signingKey, {
      algorithm: 'RS256',
      subject: user.id,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      expiresIn: settings.accessTtlSeconds,
    });
  }

  function newRefreshToken(userId: string, familyId: string) {
    const tokenId = randomId(12);
    const secret = randomId(32);
    return { token: `${userId}.${familyId}.${tokenId}.${secret}`, key: tokenKey(userId, tokenId), hash: sha256(secret) };
  }

  /** Access tokens of the user issued up to `throughMs` stop working in every process. */
  async function revokeAccessTokens(userId: string, throughMs: number): Promise<void> {
    // This process refuses them before the write even starts; the others hear it over pub/sub.
    revokedUsers.note(userId, throughMs);
    await revokeUser(redis, userId, throughMs, settings.accessTtlSeconds * 1000);
  }

  return {
    /** Signs an access token, once a revocation of the user in this second is past (iat has whole seconds). */
    async accessTokenFor(user: { id: string; role: Role; email: string }): Promise<string> {
      await revokedUsers.waitUntilPast(user.id);
      return signAccessToken(user);
    },

    revokeAccessTokens,

    /** Starts a new refresh-token family (a login or a registration). */
    async issueRefreshToken(userId: string): Promise<string> {
      const familyId = randomId(12);
      const fresh = newRefreshToken(userId, familyId);
      await redis
        .multi()
        .hset(familiesKey(userId), familyId, '1')
        .expire(familiesKey(userId), settings.refreshTtlSeconds)
        .hset(fresh.key, 'secret', fresh.hash, 'family', familyId, 'spent', '0')
        .expire(fresh.key, settings.refreshTtlSeconds)
        .exec();
      return fresh.token;
    },

    /** Spends a refresh token and returns its successor and the owner's id. */
    async rotate(presented: string): Promise<{ userId: string; refreshToken: string }> {
      const match = REFRESH_TOKEN.exec(presented);
      if (!match) throw new AppError('invalid_refresh_token');
      const [, userId, familyId, tokenId, secret] = match;
      const fresh = newRefreshToken(userId, familyId);
      const result: RotateResult = await commands.rotateRefreshToken(
        tokenKey(userId, tokenId),
        familiesKey(userId),
        fresh.key,
        familyId,
        sha256(secret),
        fresh.hash,
        settings.refreshTtlSeconds,
      );
      switch (result) {
        case RotateResult.Rotated:
          return { userId, refreshToken: fresh.token };
        case RotateResult.Reused:
          // Someone holds a copy: the access tokens it may have been swapped for go too
          // (they carry no family, so all of the user's; other sessions simply refresh).
          await revokeAccessTokens(userId, Date.now());
          throw new AppError('invalid_refresh_token', 'Refresh token already used; every session of this login was revoked');
        case RotateResult.Invalid:
        case RotateResult.FamilyRevoked:
          throw new AppError('invalid_refresh_token');
        default:
          throw new Error(`rotate-refresh-token returned unknown code ${String(result)}`);
      }
    },

    /** Every refresh token of the user stops working. */
    async revokeAll(userId: string): Promise<void> {
      await redis.del(familiesKey(userId));
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;

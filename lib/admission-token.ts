import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { AppError } from './errors.js';
import { defineLuaCommands, KERNEL_LUA_DIR } from './lua-scripts.js';
import { waitingRoomKeys } from './waiting-room-keys.js';

export const ADMISSION_TOKEN_ISSUER = 'onsale-waiting-room';
export const ADMISSION_TOKEN_AUDIENCE = 'onsale-booking';

export interface Admission {
  fanId: string;
  concertId: string;
  admittedAtMs: number;
  expiresAtMs: number;
}

/** Return codes of consume-admission-3.lua. */
export enum ConsumeAdmissionCode {
  NotAdmitted = 0,
  Consumed = 1,
  AlreadyUsed = 2,
}

interface AdmissionCommands {
  consumeAdmission(
    admitted: string,
    active: string,
    used: string,
    fanId: string,
    expiresAtSec: number,
    requestKey: string,
    holdMs: number,
  ): Promise<ConsumeAdmissionCode>;
}

/**
 * How long a used admission's slot stays taken at most while its booking waits for
 * the worker's decision (which frees it at once): a decision that never comes, or a
 * job queued again from the record, frees it after this.
 */
export const SLOT_HELD_UNTIL_DECIDED_MS = 30_000;

/** Frees the slot of an admission whose booking was decided (the seat is taken or refused): the room may let the next fan in. */
export function freeAdmissionSlot(redis: Pick<Redis, 'zrem'>, concertId: string, fanId: string): Promise<number> {
  return redis.zrem(waitingRoomKeys(concertId).active, fanId);
}

/**
 * Signs the admission token. It is deterministic for one admission (fixed iat and
 * exp), so any waiting-room process can hand the same token out again on a
 * status poll without storing it.
 */
export function signAdmissionToken(secret: string, admission: Admission): string {
  return jwt.sign({ cid: admission.concertId, iat: Math.floor(admission.admittedAtMs / 1000), exp: Math.floor(admission.expiresAtMs / 1000) }, secret, {
    algorithm: 'HS256',
    subject: admission.fanId,
    issuer: ADMISSION_TOKEN_ISSUER,
    audience: ADMISSION_TOKEN_AUDIENCE,
  });
}

/** The token's expiry (seconds) when it is ours, unexpired, and was issued to this fan for this concert; else undefined. */
export function verifyAdmissionToken(secret: string, token: string, fanId: string, concertId: string): number | undefined {
  try {
    const claims = jwt.verify(token, secret, {
      algorithms: ['HS256'],
      issuer: ADMISSION_TOKEN_ISSUER,
      audience: ADMISSION_TOKEN_AUDIENCE,
      subject: fanId,
    }) as jwt.JwtPayload;
    return claims.cid === concertId && typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The booking side of the waiting room: a concert with the room enabled takes
 * bookings only with a valid admission token, each admission is used by one
 * booking (consume-admission-3.lua, atomic). The fan's slot stays taken until
 * that booking is decided (maxActive, seats left): `release` frees it for a
 * booking refused before the queue, the worker for a queued one.
 */
export function createAdmissionGate(redis: Redis, secret: string) {
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['consume-admission-3.lua']);
  const lua = redis as unknown as AdmissionCommands;
  const required = () =>
    new AppError('admission_required', 'This concert has a waiting room: join it and book with the admission token you are given (X-Admission-Token)');
  return {
    async require(
      fanId: string,
      concert: { id: string; waitingRoomEnabled: boolean },
      token: string | undefined,
      idempotencyKey: string | undefined,
    ): Promise<boolean> {
      if (!concert.waitingRoomEnabled) return false;
      const expiresAtSec = token ? verifyAdmissionToken(secret, token, fanId, concert.id) : undefined;
      if (expiresAtSec === undefined) throw required();
      const k = waitingRoomKeys(concert.id);
      const code = await lua.consumeAdmission(k.admitted, k.active, k.used, fanId, expiresAtSec, idempotencyKey ?? '', SLOT_HELD_UNTIL_DECIDED_MS);
      if (code === ConsumeAdmissionCode.AlreadyUsed) throw new AppError('admission_used');
      // Signed by us but no longer current: the claim window passed (the place went to the next fan).
      if (code !== ConsumeAdmissionCode.Consumed) throw required();
      return true;
    },
    /** The booking that used the admission was decided here, before any queue. */
    release: (concertId: string, fanId: string) => freeAdmissionSlot(redis, concertId, fanId),
  };
}

export type AdmissionGate = ReturnType<typeof createAdmissionGate>;

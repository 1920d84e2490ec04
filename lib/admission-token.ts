import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { AppError } from './errors.js';
import { waitingRoomKeys } from './waiting-room-keys.js';

export const ADMISSION_TOKEN_ISSUER = 'onsale-waiting-room';
export const ADMISSION_TOKEN_AUDIENCE = 'onsale-booking';

export interface Admission {
  fanId: string;
  concertId: string;
  admittedAtMs: number;
  expiresAtMs: number;
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

/** True when the token is ours, unexpired, and was issued to this fan for this concert. */
export function verifyAdmissionToken(secret: string, token: string, fanId: string, concertId: string): boolean {
  try {
    const claims = jwt.verify(token, secret, {
      algorithms: ['HS256'],
      issuer: ADMISSION_TOKEN_ISSUER,
      audience: ADMISSION_TOKEN_AUDIENCE,
      subject: fanId,
    }) as jwt.JwtPayload;
    return claims.cid === concertId;
  } catch {
    return false;
  }
}

/**
 * The booking side of the waiting room: a concert with the room enabled takes
 * bookings only with a valid admission token, and a fan who submits frees the
 * admission slot so the room can let the next fan in (maxActive).
 */
export function createAdmissionGate(redis: Redis, secret: string) {
  return {
    async require(fanId: string, concert: { id: string; waitingRoomEnabled: boolean }, token: string | undefined): Promise<void> {
      if (!concert.waitingRoomEnabled) return;
      if (!token || !verifyAdmissionToken(secret, token, fanId, concert.id)) {
        throw new AppError(
          'admission_required',
          'This concert has a waiting room: join it and book with the admission token you are given (X-Admission-Token)',
        );
      }
      // The token stays valid until it expires; only the slot is given back.
      await redis.zrem(waitingRoomKeys(concert.id).active, fanId);
    },
  };
}

export type AdmissionGate = ReturnType<typeof createAdmissionGate>;

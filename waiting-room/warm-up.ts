import type { Express } from 'express';
import { verifyAccessToken } from '../lib/auth-middleware.js';
import { repeat, throwawayAccessToken, WARM_UP_OBJECT_ID, WARM_UP_ROUNDS, warmUpHttp } from '../lib/warm-up.js';

/**
 * The waiting room's hot path on synthetic work (why: lib/warm-up.ts): the token check,
 * and a fan's status poll through the whole express stack, refused 401 (the token is
 * signed by a key this service does not trust) before any line is read.
 */
export function waitingRoomWarmUp() {
  return async (app: Express) => {
    const { token, publicKey } = throwawayAccessToken();
    await repeat(WARM_UP_ROUNDS, () => verifyAccessToken(token, publicKey));
    await warmUpHttp(app, { method: 'GET', path: `/api/v1/waiting-room/${WARM_UP_OBJECT_ID}/status`, token });
  };
}

import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { verifyAccessToken } from '../../lib/auth-middleware.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import { parseOrThrow } from '../../lib/validation.js';
import { repeat, throwawayAccessToken, WARM_UP_CONCERT_ID, WARM_UP_OBJECT_ID, WARM_UP_ROUNDS, warmUpHttp, warmUpQueue } from '../../lib/warm-up.js';
import { submitBookingBody } from './booking.schemas.js';

/**
 * The booking service's hot path on synthetic work (why: lib/warm-up.ts): the token
 * check and body validation, POST /bookings through the whole express stack (refused
 * 401: the token is signed by a key this service does not trust), the stock look on a
 * concert that does not exist, and BullMQ's job add on a throwaway queue.
 */
export function bookingWarmUp(deps: { inventory: Pick<Inventory, 'peek'>; redis: Redis }) {
  return async (app: Express) => {
    const { token, publicKey } = throwawayAccessToken();
    const body = { concertId: WARM_UP_OBJECT_ID, seatTypeId: WARM_UP_OBJECT_ID };
    await repeat(WARM_UP_ROUNDS, () => {
      verifyAccessToken(token, publicKey);
      parseOrThrow(submitBookingBody, body);
    });
    await warmUpHttp(app, { method: 'POST', path: '/api/v1/bookings', token, body });
    await repeat(WARM_UP_ROUNDS, () => deps.inventory.peek(WARM_UP_CONCERT_ID, WARM_UP_CONCERT_ID, 'warm-up'));
    await warmUpQueue(deps.redis, { data: { requestId: 'warm-up' } });
  };
}

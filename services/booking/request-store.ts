import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { REQUEST_TTL_SECONDS, requestKey, type Decision, type RejectionReason } from '../../lib/booking-requests.js';

export interface StoredRequest {
  requestId: string;
  userId: string;
  concertId: string;
  seatTypeId: string;
  status: 'queued' | 'confirmed' | 'rejected';
  reason?: RejectionReason;
  booking?: Decision['booking'];
}

const idempotencyKey = (userId: string, key: string) => `{idempotency:${userId}}:${key}`;

/** Booking requests' status in Redis (they expire; confirmed bookings stay in MongoDB). */
export function createRequestStore(redis: Redis) {
  return {
    async create(req: Omit<StoredRequest, 'status'>, submittedAt: number) {
      const key = requestKey(req.requestId);
      await redis
        .multi()
        .hset(key, { userId: req.userId, concertId: req.concertId, seatTypeId: req.seatTypeId, submittedAt: String(submittedAt) })
        .hsetnx(key, 'status', 'queued')
        .expire(key, REQUEST_TTL_SECONDS)
        .exec();
    },

    /** A request refused before queueing, remembered so a retry with the same Idempotency-Key gets the same answer. */
    async rejectEarly(req: Omit<StoredRequest, 'status'>, reason: RejectionReason) {
      const key = requestKey(req.requestId);
      await redis
        .multi()
        .hset(key, { userId: req.userId, concertId: req.concertId, seatTypeId: req.seatTypeId, status: 'rejected', reason })
        .expire(key, REQUEST_TTL_SECONDS)
        .exec();
    },

    async get(requestId: string): Promise<StoredRequest | null> {
      const h = await redis.hgetall(requestKey(requestId));
      if (!h.userId) return null;
      return {
        requestId,
        userId: h.userId,
        concertId: h.concertId,
        seatTypeId: h.seatTypeId,
        status: (h.status as StoredRequest['status']) || 'queued',
        ...(h.reason ? { reason: h.reason as RejectionReason } : {}),
        ...(h.booking ? { booking: JSON.parse(h.booking) } : {}),
      };
    },

    /**
     * Claims an Idempotency-Key for a new request id. Returns the request id the
     * key already stands for (and whether it was for the same body), or null when claimed now.
     */
    async claimIdempotencyKey(userId: string, key: string, requestId: string, body: object): Promise<{ requestId: string; sameBody: boolean } | null> {
      const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
      const previous = await redis.set(idempotencyKey(userId, key), `${requestId}|${fingerprint}`, 'EX', REQUEST_TTL_SECONDS, 'NX', 'GET');
      if (previous === null) return null;
      const [previousId, previousFingerprint] = previous.split('|');
      return { requestId: previousId, sameBody: previousFingerprint === fingerprint };
    },
  };
}

export type RequestStore = ReturnType<typeof createRequestStore>;

import type { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import { DECISIONS_CHANNEL, fanRoom, REQUEST_TTL_SECONDS, requestKey, type Decision, type RejectionReason } from '../../lib/booking-requests.js';

/**
 * Tells everyone who may be waiting for a decision: the request's status key
 * (REST polling, late reconnects), the decisions channel (`Prefer: wait`
 * submitters) and the fan's Socket.IO room (`booking:result`).
 */
export function createDecisionPublisher(redis: Redis, emitter: Emitter) {
  return {
    async publish(userId: string, decision: Decision) {
      const key = requestKey(decision.requestId);
      await redis
        .multi()
        .hset(key, {
          status: decision.status,
          reason: decision.reason ?? '',
          booking: decision.booking ? JSON.stringify(decision.booking) : '',
          decidedAt: String(Date.now()),
        })
        .expire(key, REQUEST_TTL_SECONDS)
        .publish(DECISIONS_CHANNEL, JSON.stringify(decision))
        .exec();
      emitter.to(fanRoom(userId)).emit('booking:result', decision);
    },

    /** The answer this request already has, if any. */
    async published(requestId: string): Promise<Decision | undefined> {
      const [status, reason, booking] = await redis.hmget(requestKey(requestId), 'status', 'reason', 'booking');
      if (status !== 'confirmed' && status !== 'rejected') return undefined;
      return {
        requestId,
        status,
        ...(reason ? { reason: reason as RejectionReason } : {}),
        ...(booking ? { booking: JSON.parse(booking) as NonNullable<Decision['booking']> } : {}),
      };
    },
  };
}

export type DecisionPublisher = ReturnType<typeof createDecisionPublisher>;

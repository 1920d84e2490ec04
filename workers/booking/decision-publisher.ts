import type { Emitter } from '@socket.io/redis-emitter';
import { fanRoom, type Decision } from '../../lib/booking-requests.js';

/**
 * Tells the fan a decision over Socket.IO (`booking:result`). The decision itself
 * lives in the record (the bookings collection); this event is a copy of it, and a
 * fan who missed it reads the record over REST.
 */
export function createDecisionPublisher(emitter: Emitter) {
  return {
    publish(userId: string, decision: Decision) {
      emitter.to(fanRoom(userId)).emit('booking:result', decision);
    },
  };
}

export type DecisionPublisher = ReturnType<typeof createDecisionPublisher>;

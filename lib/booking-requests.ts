import { toPublicBooking, type DecisionDoc, type PublicBooking } from './records/booking.record.js';

/**
 * A booking request's final answer, as fans see it: derived from the decision in
 * the record (lib/records/booking.record.ts) and pushed to the fan as the
 * Socket.IO event `booking:result`.
 */
export interface Decision {
  requestId: string;
  status: 'confirmed' | 'rejected';
  reason?: RejectionReason;
  booking?: PublicBooking;
}

export type RejectionReason =
  'concert_started' | 'sales_closed' | 'seat_type_closed' | 'already_booked' | 'sold_out' | 'not_found' | 'service_unavailable' | 'offer_not_open';

/** The answer a recorded decision stands for (a cancelled booking was confirmed). */
export function decisionOf(doc: DecisionDoc): Decision {
  const requestId = String(doc._id);
  if (doc.status === 'rejected') return { requestId, status: 'rejected', reason: doc.reason };
  return { requestId, status: 'confirmed', booking: toPublicBooking(doc) };
}

/** Socket.IO rooms. */
export const fanRoom = (userId: string) => `user:${userId}`;
export const concertRoom = (concertId: string) => `concert:${concertId}`;

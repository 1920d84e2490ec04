import type { PublicBooking } from './records/booking.record.js';

/**
 * A booking request's final answer. It is written to the request's status key,
 * published on DECISIONS_CHANNEL (for submitters waiting with `Prefer: wait`),
 * and pushed to the fan as the Socket.IO event `booking:result`.
 */
export interface Decision {
  requestId: string;
  status: 'confirmed' | 'rejected';
  reason?: RejectionReason;
  booking?: PublicBooking;
}

export type RejectionReason = 'concert_started' | 'already_booked' | 'sold_out' | 'not_found' | 'service_unavailable';

export const DECISIONS_CHANNEL = 'booking-decisions';

/** How long a request's status stays readable over REST (the booking itself stays in MongoDB). */
export const REQUEST_TTL_SECONDS = 24 * 3600;

/** hash: userId, concertId, seatTypeId, status, reason, booking (JSON), submittedAt */
export const requestKey = (requestId: string) => `{request:${requestId}}`;

/** Socket.IO rooms. */
export const fanRoom = (userId: string) => `user:${userId}`;
export const concertRoom = (concertId: string) => `concert:${concertId}`;

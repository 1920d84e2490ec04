import client from 'prom-client';
import type { RejectionReason } from './booking-requests.js';
import { perConcert, type ConcertLabels } from './concert-labels.js';

/** Every reason, so each concert's series exist at 0 (a Record: a new reason fails the type check until listed). */
const REASON_LISTED: Record<RejectionReason, true> = {
  sold_out: true,
  already_booked: true,
  concert_started: true,
  not_found: true,
  service_unavailable: true,
  offer_not_open: true,
  sales_closed: true,
  seat_type_closed: true,
};
export const REJECTION_REASONS = Object.keys(REASON_LISTED) as RejectionReason[];

/**
 * `bookings_decided_total{concert,result,reason}`: every booking decision, by
 * whoever decides it (the worker's Lua script, or the booking service refusing
 * before the queue), so sold-out refusals are all counted. Children are made
 * once per concert label, never per request.
 */
export function bookingDecisionCounter(registry: client.Registry, labels: ConcertLabels) {
  const decided = new client.Counter({
    name: 'bookings_decided_total',
    help: 'Booking requests decided, by concert, result and rejection reason (before the queue or by the worker)',
    labelNames: ['concert', 'result', 'reason'],
    registers: [registry],
  });
  const children = perConcert(
    labels,
    (concert) => {
      const confirmed = decided.labels({ concert, result: 'confirmed', reason: '' });
      confirmed.inc(0);
      const rejected = {} as Record<RejectionReason, client.Counter.Internal>;
      for (const reason of REJECTION_REASONS) (rejected[reason] = decided.labels({ concert, result: 'rejected', reason })).inc(0);
      return { confirmed, rejected };
    },
    (concert) => {
      decided.remove({ concert, result: 'confirmed', reason: '' });
      for (const reason of REJECTION_REASONS) decided.remove({ concert, result: 'rejected', reason });
    },
  );
  return {
    confirmed: (concertId: string) => children(concertId).confirmed.inc(),
    rejected: (concertId: string, reason: RejectionReason) => children(concertId).rejected[reason].inc(),
  };
}

import client, { type Registry } from 'prom-client';
import type { RejectionReason } from '../../lib/booking-requests.js';
import type { ConcertLabels } from '../../lib/concert-labels.js';
import { bookingDecisionCounter } from '../../lib/booking-decision-metrics.js';

/** Submissions turned away at the door, before any seat is looked at: a closed set. */
export const GATE_REFUSALS = ['rate_limited', 'admission_required'] as const;
export type GateRefusal = (typeof GATE_REFUSALS)[number];

/**
 * What the booking service decides itself: refusals known before the queue
 * (sold out, already booked, started) go into the same `bookings_decided_total`
 * the worker counts into, so the decisions panel sees every 409 a fan gets;
 * submissions refused at the door (429, 403) are `booking_submissions_refused_total{reason}`.
 */
export function createBookingMetrics(registry: Registry, labels: ConcertLabels) {
  const decided = bookingDecisionCounter(registry, labels);
  const refused = new client.Counter({
    name: 'booking_submissions_refused_total',
    help: 'Booking submissions refused before any seat was looked at (rate limit, missing admission)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const gate = Object.fromEntries(GATE_REFUSALS.map((reason) => [reason, refused.labels({ reason })])) as Record<GateRefusal, client.Counter.Internal>;
  for (const reason of GATE_REFUSALS) gate[reason].inc(0);
  return {
    decidedEarly: (concertId: string, reason: RejectionReason) => decided.rejected(concertId, reason),
    refusedAtGate: (reason: GateRefusal) => gate[reason].inc(),
  };
}

export type BookingMetrics = ReturnType<typeof createBookingMetrics>;

/** For in-process tests without a registry. */
export const NO_BOOKING_METRICS: BookingMetrics = { decidedEarly: () => undefined, refusedAtGate: () => undefined };

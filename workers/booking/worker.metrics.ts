import client from 'prom-client';
import type { Decision } from '../../lib/booking-requests.js';
import type { ReserveJobData } from '../../lib/queues.js';

/** Booking decisions by result and reason, submit→decision latency, and stock remaining. */
export function createWorkerMetrics(registry: client.Registry) {
  const decided = new client.Counter({
    name: 'bookings_decided_total',
    help: 'Booking requests decided, by result and rejection reason',
    labelNames: ['result', 'reason'],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'booking_decision_latency_seconds',
    help: 'Time from the fan submitting to the decision being published',
    labelNames: ['result'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  // Ids are bounded by the catalogue; the seat type's name rides along for legends.
  const stock = new client.Gauge({
    name: 'concert_stock_remaining',
    help: 'Seats left per concert and seat type, as last read by this worker (min across workers is freshest)',
    labelNames: ['concert', 'seat_type', 'seat_type_name'],
    registers: [registry],
  });
  return {
    onDecision(data: ReserveJobData, decision: Decision) {
      decided.inc({ result: decision.status, reason: decision.reason ?? '' });
      latency.observe({ result: decision.status }, (Date.now() - data.submittedAt) / 1000);
    },
    onStock(concertId: string, seatTypes: Array<{ id: string; name: string; remaining: number }>) {
      for (const s of seatTypes) stock.set({ concert: concertId, seat_type: s.id, seat_type_name: s.name }, s.remaining);
    },
  };
}

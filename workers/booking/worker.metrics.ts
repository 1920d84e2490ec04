import client from 'prom-client';
import type { Decision } from '../../lib/booking-requests.js';
import type { ReserveJobData } from '../../lib/queues.js';

/** Booking decisions by result and reason, and submit→decision latency. */
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
  return {
    onDecision(data: ReserveJobData, decision: Decision) {
      decided.inc({ result: decision.status, reason: decision.reason ?? '' });
      latency.observe({ result: decision.status }, (Date.now() - data.submittedAt) / 1000);
    },
  };
}

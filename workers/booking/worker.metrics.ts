import client from 'prom-client';
import type { Decision, RejectionReason } from '../../lib/booking-requests.js';
import { withTimeout } from '../../lib/http-service.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { Logger } from '../../lib/logger.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import type { ReserveJobData } from '../../lib/queues.js';

const REJECTION_REASONS: RejectionReason[] = ['sold_out', 'already_booked', 'concert_started', 'not_found', 'service_unavailable', 'offer_not_open'];

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
  // Series exist from start-up: a series born mid-burst already holds the burst,
  // so rate() and histogram_quantile() would see no increase until the next one.
  for (const result of ['confirmed', 'rejected'] as const) latency.zero({ result });
  decided.inc({ result: 'confirmed', reason: '' }, 0);
  for (const reason of REJECTION_REASONS) decided.inc({ result: 'rejected', reason }, 0);
  return {
    onDecision(data: ReserveJobData, decision: Decision) {
      decided.inc({ result: decision.status, reason: decision.reason ?? '' });
      latency.observe({ result: decision.status }, (Date.now() - data.submittedAt) / 1000);
    },
  };
}

/**
 * `concert_stock_remaining{concert,seat_type,seat_type_name}`, read from Redis
 * when Prometheus scrapes, for every concert this worker has decided a booking
 * for (so a cancellation shows at the next scrape too). Ids are bounded by the
 * catalogue; the seat type's name rides along for legends.
 */
export function registerStockMetrics(registry: client.Registry, inventory: Pick<Inventory, 'remaining'>, concerts: ConcertCache, logger: Logger) {
  const watched = new Set<string>();
  new client.Gauge({
    name: 'concert_stock_remaining',
    help: 'Seats left per concert and seat type, read from Redis at scrape time',
    labelNames: ['concert', 'seat_type', 'seat_type_name'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        [...watched].map(async (concertId) => {
          try {
            const concert = await concerts.get(concertId);
            if (!concert) return;
            const remaining = await withTimeout(
              inventory.remaining(
                concertId,
                concert.seatTypes.map((s) => String(s._id)),
              ),
              2000,
            );
            if (!remaining) return;
            for (const s of concert.seatTypes)
              this.set({ concert: concertId, seat_type: String(s._id), seat_type_name: s.name }, remaining.get(String(s._id)) ?? 0);
          } catch (err) {
            logger.warn({ err, concertId }, 'stock not read for metrics');
          }
        }),
      );
    },
  });
  return {
    watch(concertId: string) {
      watched.add(concertId);
    },
  };
}

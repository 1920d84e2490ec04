import client from 'prom-client';
import type { Decision } from '../../lib/booking-requests.js';
import { withTimeout } from '../../lib/http-service.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { Logger } from '../../lib/logger.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import { bookingDecisionCounter } from '../../lib/booking-decision-metrics.js';
import { OTHER_CONCERT, perConcert, type ConcertLabels } from '../../lib/concert-labels.js';
import type { ReserveJobData } from '../../lib/queues.js';

/** Booking decisions by concert, result and reason, and submit→decision latency. */
export function createWorkerMetrics(registry: client.Registry, labels: ConcertLabels) {
  const decided = bookingDecisionCounter(registry, labels);
  const latency = new client.Histogram({
    name: 'booking_decision_latency_seconds',
    help: 'Time from the fan submitting to the decision being published',
    labelNames: ['concert', 'result'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  // Series exist from the moment a concert is labelled: a series born mid-burst already
  // holds the burst, so rate() and histogram_quantile() would see no increase until the next one.
  const timers = perConcert(
    labels,
    (concert) => {
      latency.zero({ concert, result: 'confirmed' });
      latency.zero({ concert, result: 'rejected' });
      return { confirmed: latency.labels({ concert, result: 'confirmed' }), rejected: latency.labels({ concert, result: 'rejected' }) };
    },
    (concert) => {
      latency.remove({ concert, result: 'confirmed' });
      latency.remove({ concert, result: 'rejected' });
    },
  );
  return {
    onDecision(data: ReserveJobData, decision: Decision) {
      if (decision.status === 'confirmed') decided.confirmed(data.concertId);
      else decided.rejected(data.concertId, decision.reason ?? 'service_unavailable');
      timers(data.concertId)[decision.status].observe((Date.now() - data.submittedAt) / 1000);
    },
  };
}

/**
 * `concert_stock_remaining{concert,seat_type,seat_type_name}`, read from Redis
 * when Prometheus scrapes, for every concert labelled on this worker (the
 * concerts on sale, bounded by `concertLabels`) whose stock is loaded, so a
 * cancellation shows at the next scrape too. The seat type's name rides along for legends.
 */
export function registerStockMetrics(
  registry: client.Registry,
  inventory: Pick<Inventory, 'remaining'>,
  concerts: ConcertCache,
  labels: ConcertLabels,
  logger: Logger,
) {
  new client.Gauge({
    name: 'concert_stock_remaining',
    help: 'Seats left per concert and seat type, read from Redis at scrape time',
    labelNames: ['concert', 'seat_type', 'seat_type_name'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        labels
          .labels()
          .filter((concert) => concert !== OTHER_CONCERT)
          .map(async (concertId) => {
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
}

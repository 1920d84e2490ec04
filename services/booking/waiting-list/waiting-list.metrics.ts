import client, { type Registry } from 'prom-client';

/** Offer outcomes counted when the record learns them (each offer is counted once, by the process that recorded it). */
export type OfferOutcome = 'made' | 'accepted' | 'declined' | 'expired';

export function waitingListMetrics(registry: Registry) {
  const length = new client.Gauge({
    name: 'waiting_list_length',
    help: 'Fans waiting on a concert’s waiting list (without an open offer), as the ticker last saw it',
    labelNames: ['concert'] as const,
    registers: [registry],
  });
  const openOffers = new client.Gauge({
    name: 'waiting_list_open_offers',
    help: 'Open waiting-list offers (seats held for one fan), as the ticker last saw them',
    labelNames: ['concert'] as const,
    registers: [registry],
  });
  const offers = new client.Counter({
    name: 'waiting_list_offers_total',
    help: 'Waiting-list offers by outcome: made, accepted, declined, expired',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['made', 'accepted', 'declined', 'expired'] as const) offers.inc({ outcome }, 0);
  return {
    seen(concertId: string, waiting: number, open: number) {
      length.set({ concert: concertId }, waiting);
      openOffers.set({ concert: concertId }, open);
    },
    forget(concertId: string) {
      length.remove({ concert: concertId });
      openOffers.remove({ concert: concertId });
    },
    offer: (outcome: OfferOutcome, n = 1) => n && offers.inc({ outcome }, n),
  };
}

export type WaitingListMetrics = ReturnType<typeof waitingListMetrics>;

/** For processes without a registry (tests). */
export const NO_WAITING_LIST_METRICS: WaitingListMetrics = { seen: () => undefined, forget: () => undefined, offer: () => 0 };

import type { Emitter } from '@socket.io/redis-emitter';
import { concertRoom } from '../../lib/booking-requests.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { Logger } from '../../lib/logger.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';

/**
 * Pushes `concert:stock` to fans watching a concert whose stock changed, at most
 * once per interval per concert, however many bookings were decided meanwhile.
 */
export function createStockBroadcaster(inventory: Inventory, concerts: ConcertCache, emitter: Emitter, logger: Logger, intervalMs = 500) {
  const dirty = new Set<string>();
  const timer = setInterval(() => {
    const ids = [...dirty];
    dirty.clear();
    for (const concertId of ids) {
      void (async () => {
        const concert = await concerts.get(concertId);
        if (!concert) return;
        const remaining = await inventory.remaining(
          concertId,
          concert.seatTypes.map((s) => String(s._id)),
        );
        if (!remaining) return;
        emitter.to(concertRoom(concertId)).emit('concert:stock', {
          concertId,
          seatTypes: concert.seatTypes.map((s) => ({ id: String(s._id), name: s.name, remaining: remaining.get(String(s._id)) ?? 0 })),
        });
      })().catch((err) => logger.warn({ err, concertId }, 'stock broadcast failed'));
    }
  }, intervalMs);
  timer.unref();
  return {
    changed(concertId: string) {
      dirty.add(concertId);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { BookingModel } from '../records/booking.record.js';
import type { ConcertModel } from '../records/concert.record.js';
import { createRedisLocks } from '../redis-lock.js';
import type { Inventory, InventorySnapshot } from './inventory.js';
import { concertKeys } from './inventory-keys.js';
import { waitingListRecords } from '../records/waiting-list.record.js';
import { waitingListSnapshot } from '../waiting-list/waiting-list-rebuild.js';

const LOCK_TTL_MS = 30_000;

/**
 * Redis is fast state, MongoDB is the record: when a concert's keys are missing
 * (Redis restarted empty, keys evicted), one process rebuilds them from the
 * record under a lock while the others wait, before anything is decided.
 */
export function createInventoryLoader(redis: Redis, inventory: Inventory, concerts: ConcertModel, bookings: BookingModel, logger: Logger) {
  const locks = createRedisLocks(redis);
  const lists = waitingListRecords(bookings.db);

  async function snapshot(concertId: string): Promise<InventorySnapshot | null> {
    const concert = await concerts.findById(concertId).lean();
    if (!concert) return null;
    const held = await bookings.find({ concertId, status: 'confirmed' }, { _id: 1, userId: 1, seatTypeId: 1, seatNo: 1, createdAt: 1 }).lean();
    // The waiting list and its offers come back with the stock: an offered seat is on no free list.
    const offerTtlSeconds = concert.waitingList?.offerTtlSeconds;
    const waitingList = await waitingListSnapshot(lists, bookings, concertId, offerTtlSeconds ? offerTtlSeconds * 1000 : undefined);
    return {
      concertId,
      startsAt: concert.startsAt,
      ...(concert.salesClosedAt ? { salesClosedAt: concert.salesClosedAt } : {}),
      seatTypes: concert.seatTypes.map((s) => ({ id: String(s._id), capacity: s.capacity, ...(s.closed ? { closed: true } : {}) })),
      held: held.map((b) => ({ bookingId: String(b._id), userId: b.userId, seatTypeId: b.seatTypeId, seatNo: b.seatNo, createdAt: b.createdAt })),
      waitingList,
    };
  }

  /** Loads the concert from the record; the caller holds the rebuild lock. False when the concert does not exist. */
  async function loadHoldingLock(concertId: string): Promise<boolean> {
    if (await inventory.isLoaded(concertId)) return true;
    const snap = await snapshot(concertId);
    if (!snap) return false;
    const started = Date.now();
    const wrote = await inventory.load(snap, { onlyIfMissing: true });
    if (wrote) logger.warn({ concertId, held: snap.held.length, ms: Date.now() - started }, 'inventory rebuilt from MongoDB');
    return true;
  }

  return {
    snapshot,

    /**
     * Runs an operator's change (record and Redis) holding the concert's rebuild lock,
     * with its keys loaded: no rebuild can read the record before the change and store
     * its keys after it. `work` answers 'not_loaded' when its script found the keys gone
     * or stale (Redis restarted meanwhile): they are loaded again and `work` runs again.
     */
    async withRebuildLock<T>(concertId: string, work: () => Promise<T | 'not_loaded'>): Promise<T | 'no_concert'> {
      return locks.withLock(concertKeys(concertId).rebuildLock, LOCK_TTL_MS, LOCK_TTL_MS, async () => {
        for (;;) {
          if (!(await loadHoldingLock(concertId))) return 'no_concert';
          const result = await work();
          if (result !== 'not_loaded') return result;
        }
      });
    },

    /** Resolves true once the concert's inventory is in Redis, false when the concert does not exist. */
    async ensureLoaded(concertId: string, deadlineMs = 30_000): Promise<boolean> {
      const lockKey = concertKeys(concertId).rebuildLock;
      const until = Date.now() + deadlineMs;
      while (!(await inventory.isLoaded(concertId))) {
        const token = await locks.tryAcquire(lockKey, LOCK_TTL_MS);
        if (token) {
          try {
            if (!(await loadHoldingLock(concertId))) return false;
          } finally {
            await locks.release(lockKey, token);
          }
          continue;
        }
        if (Date.now() > until) throw new Error(`inventory of concert ${concertId} not rebuilt within ${deadlineMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
  };
}

export type InventoryLoader = ReturnType<typeof createInventoryLoader>;

import { LruMap } from '../lru-map.js';
import type { ConcertDoc, ConcertModel } from './concert.record.js';

/** Entries kept at most: a few thousand concerts on sale at once is far more than any real catalogue. */
export const CONCERT_CACHE_MAX_ENTRIES = 10_000;

/**
 * Concert details the worker needs for every booking (seat-type name and
 * price, email content). They change only when a seat type is added, so a few
 * seconds of caching saves one MongoDB read per job. Any fan can ask for any id
 * (a booking for a random concert), and a miss is cached too (`null`), so the
 * cache is bounded: at `maxEntries` the least recently used entry goes.
 */
export function createConcertCache(concerts: ConcertModel, ttlMs = 5000, maxEntries = CONCERT_CACHE_MAX_ENTRIES) {
  const cache = new LruMap<string, { at: number; concert: Promise<ConcertDoc | null> }>(maxEntries);
  return {
    /** Entries held now (never more than `maxEntries`). */
    get size() {
      return cache.size;
    },
    async get(concertId: string, seatTypeId?: string): Promise<ConcertDoc | null> {
      const hit = cache.get(concertId);
      if (hit && Date.now() - hit.at < ttlMs) {
        const concert = await hit.concert;
        if (concert && (!seatTypeId || concert.seatTypes.some((s) => String(s._id) === seatTypeId))) return concert;
      }
      const entry = { at: Date.now(), concert: concerts.findById(concertId).lean<ConcertDoc>().exec() };
      cache.set(concertId, entry);
      entry.concert.catch(() => {
        if (cache.get(concertId) === entry) cache.delete(concertId);
      });
      return entry.concert;
    },
  };
}

export type ConcertCache = ReturnType<typeof createConcertCache>;

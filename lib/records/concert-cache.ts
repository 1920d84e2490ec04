import type { ConcertDoc, ConcertModel } from './concert.record.js';

/**
 * Concert details the worker needs for every booking (seat-type name and
 * price, email content). They change only when a seat type is added, so a few
 * seconds of caching saves one MongoDB read per job.
 */
export function createConcertCache(concerts: ConcertModel, ttlMs = 5000) {
  const cache = new Map<string, { at: number; concert: Promise<ConcertDoc | null> }>();
  return {
    async get(concertId: string, seatTypeId?: string): Promise<ConcertDoc | null> {
      const hit = cache.get(concertId);
      if (hit && Date.now() - hit.at < ttlMs) {
        const concert = await hit.concert;
        if (concert && (!seatTypeId || concert.seatTypes.some((s) => String(s._id) === seatTypeId))) return concert;
      }
      const concert = concerts.findById(concertId).lean<ConcertDoc>().exec();
      cache.set(concertId, { at: Date.now(), concert });
      concert.catch(() => cache.delete(concertId));
      return concert;
    },
  };
}

export type ConcertCache = ReturnType<typeof createConcertCache>;

import { Types, trusted } from 'mongoose';
import { AppError } from '../../lib/errors.js';
import { BOOKED, toPublicBooking, type BookingDoc, type BookingModel, type PublicBooking } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';

/** A booking as the operator sees it: with the fan's email. */
export interface ConcertBooking extends PublicBooking {
  userEmail: string;
}

export interface ConcertBookingsFilter {
  status?: 'confirmed' | 'cancelled';
  seatTypeId?: string;
}

export interface ConcertBookingsPage {
  items: ConcertBooking[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/**
 * A concert's bookings for its operator, oldest first. The cursor is the last booking
 * id of a page (ids are the requests' ObjectIds, so in order of acceptance): a page
 * stays right while bookings are added, unlike an offset.
 */
export function createConcertBookings(bookings: BookingModel, concerts: ConcertCache) {
  async function page(concertId: string, filter: ConcertBookingsFilter, limit: number, cursor?: string): Promise<ConcertBookingsPage> {
    const docs = await bookings
      .find({
        concertId,
        ...(filter.status ? { status: filter.status } : BOOKED),
        ...(filter.seatTypeId ? { seatTypeId: filter.seatTypeId } : {}),
        ...(cursor ? { _id: trusted({ $gt: new Types.ObjectId(cursor) }) } : {}),
      })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<BookingDoc[]>();
    const items = docs.map((d) => ({ ...toPublicBooking(d), userEmail: d.userEmail }));
    return { items, nextCursor: items.length === limit ? items[items.length - 1].id : null };
  }

  async function requireConcert(concertId: string) {
    if (!/^[a-f0-9]{24}$/.test(concertId) || !(await concerts.get(concertId))) throw new AppError('not_found', 'No such concert');
  }

  return {
    async list(concertId: string, filter: ConcertBookingsFilter, limit: number, cursor?: string): Promise<ConcertBookingsPage> {
      await requireConcert(concertId);
      return page(concertId, filter, limit, cursor);
    },

    /** Every matching booking, a page at a time (the export streams them; memory stays one page). */
    async *all(concertId: string, filter: ConcertBookingsFilter, pageSize = 1000): AsyncGenerator<ConcertBooking> {
      let cursor: string | undefined;
      do {
        const next = await page(concertId, filter, pageSize, cursor);
        yield* next.items;
        cursor = next.nextCursor ?? undefined;
      } while (cursor);
    },

    requireConcert,
  };
}

export type ConcertBookings = ReturnType<typeof createConcertBookings>;

import type { BookingModel } from '../../lib/records/booking.record.js';
import type { ConcertDoc } from '../../lib/records/concert.record.js';
import type { PublicConcert } from './concert.service.js';

export interface SeatTypeStats {
  seatTypeId: string;
  name: string;
  capacity: number;
  /** Confirmed bookings in the record. */
  sold: number;
  /** Taken in Redis but not (yet) a confirmed booking: reservations on their way into the record. */
  held: number;
  remaining: number;
  closed: boolean;
}

export interface ConcertStats {
  concertId: string;
  salesClosedAt: string | null;
  seatTypes: SeatTypeStats[];
}

/** Confirmed bookings per seat type of a concert, from the record. */
export type SoldCounter = (concertId: string) => Promise<Map<string, number>>;

export function soldCounter(bookings: BookingModel): SoldCounter {
  return async (concertId) => {
    const rows = await bookings.aggregate<{ _id: string; sold: number }>([
      { $match: { concertId, status: 'confirmed' } },
      { $group: { _id: '$seatTypeId', sold: { $sum: 1 } } },
    ]);
    return new Map(rows.map((r) => [r._id, r.sold]));
  };
}

/** Live figures per seat type: sold from the record, remaining from Redis, held the difference. */
export function statsOf(concert: ConcertDoc, view: PublicConcert, sold: Map<string, number>): ConcertStats {
  return {
    concertId: view.id,
    salesClosedAt: view.salesClosedAt ?? null,
    seatTypes: view.seatTypes.map((s) => {
      const soldHere = sold.get(s.id) ?? 0;
      return {
        seatTypeId: s.id,
        name: s.name,
        capacity: s.capacity,
        sold: soldHere,
        held: Math.max(0, s.capacity - s.remaining - soldHere),
        remaining: s.remaining,
        closed: concert.seatTypes.some((t) => String(t._id) === s.id && t.closed === true),
      };
    }),
  };
}

import { trusted } from 'mongoose';
import type { BookingModel } from '../records/booking.record.js';
import type { WaitingListRecords } from '../records/waiting-list.record.js';
import type { WaitingListSnapshot } from './waiting-list-load.js';

/**
 * The waiting list and its open offers from the record, for a rebuild of Redis. The
 * record may lag Redis by the updates a process did not get to write (an offer's close,
 * a fan's leaving the list with it), so what it says is settled by the bookings:
 *   - an open offer is over when its fan has booked since it was made (accepted, or
 *     booked another way), when its seat is held by a confirmed booking, or when a later
 *     offer of the same seat or to the same fan exists (the later one replaced it);
 *   - a fan waits when the entry says so, the fan holds no seat and was not offered a
 *     seat since joining (an offer settles a place: accepted, declined or expired).
 * Offers past their expiry are kept: the ticker expires them and passes the seat on.
 */
export async function waitingListSnapshot(
  records: WaitingListRecords,
  bookings: BookingModel,
  concertId: string,
  offerTtlMs: number | undefined,
): Promise<WaitingListSnapshot> {
  const [entries, offers, booked] = await Promise.all([
    records.entries.find({ concertId }).lean(),
    records.offers.find({ concertId }).lean(),
    bookings.find({ concertId, status: trusted({ $in: ['confirmed', 'cancelled'] }) }, { userId: 1, seatTypeId: 1, seatNo: 1, status: 1, createdAt: 1 }).lean(),
  ]);
  const lastBookedAt = new Map<string, number>();
  for (const b of booked) lastBookedAt.set(b.userId, Math.max(lastBookedAt.get(b.userId) ?? 0, b.createdAt.getTime()));
  const holding = new Set(booked.filter((b) => b.status === 'confirmed').map((b) => b.userId));
  const bookedSeats = new Set(booked.filter((b) => b.status === 'confirmed').map((b) => `${b.seatTypeId}#${b.seatNo}`));
  const latestPerSeat = new Map<string, number>();
  const latestPerFan = new Map<string, number>();
  for (const o of offers) {
    const at = o.createdAt.getTime();
    const seat = `${o.seatTypeId}#${o.seatNo}`;
    latestPerSeat.set(seat, Math.max(latestPerSeat.get(seat) ?? 0, at));
    latestPerFan.set(o.userId, Math.max(latestPerFan.get(o.userId) ?? 0, at));
  }
  const entryOf = new Map(entries.map((e) => [e.userId, e]));

  const open = offers.filter((o) => {
    const at = o.createdAt.getTime();
    const seat = `${o.seatTypeId}#${o.seatNo}`;
    return (
      o.status === 'open' &&
      (lastBookedAt.get(o.userId) ?? -1) < at &&
      !bookedSeats.has(seat) &&
      latestPerSeat.get(seat) === at &&
      latestPerFan.get(o.userId) === at
    );
  });
  const offered = new Set(open.map((o) => o.userId));
  const waiting = entries.filter(
    (e) => e.status === 'waiting' && !holding.has(e.userId) && !offered.has(e.userId) && (latestPerFan.get(e.userId) ?? -1) < e.joinedAt.getTime(),
  );
  return {
    waiting: waiting.map((e) => ({ userId: e.userId, choice: e.choice, seq: e.seq })),
    offers: open.map((o) => ({
      offerId: o._id,
      userId: o.userId,
      choice: entryOf.get(o.userId)?.choice ?? o.seatTypeId,
      seq: entryOf.get(o.userId)?.seq ?? 0,
      seatTypeId: o.seatTypeId,
      seatNo: o.seatNo,
      expiresAtMs: o.expiresAt.getTime(),
      createdAtMs: o.createdAt.getTime(),
    })),
    seq: entries.reduce((max, e) => Math.max(max, e.seq), 0),
    offerTtlMs,
  };
}

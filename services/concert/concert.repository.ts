import mongoose, { Types, type Connection } from 'mongoose';
import { concertModel, type ConcertDoc, type WaitingListSettings, type WaitingRoomSettings } from '../../lib/records/concert.record.js';
import type { SeatTypeBody } from './concert.schemas.js';

export function createConcertRepository(conn: Connection) {
  const Concerts = concertModel(conn);

  async function seatTypeIndex(concertId: string, seatTypeId: string): Promise<number> {
    const concert = await Concerts.findById(concertId, { 'seatTypes._id': 1 }).lean<ConcertDoc>();
    const i = concert?.seatTypes.findIndex((s) => String(s._id) === seatTypeId) ?? -1;
    if (i < 0) throw new Error(`no seat type ${seatTypeId} in concert ${concertId}`);
    return i;
  }

  return {
    model: Concerts,
    async ensureIndexes() {
      await Concerts.createIndexes();
    },
    async insert(input: {
      name: string;
      venue: string;
      description?: string;
      startsAt: Date;
      currency: string;
      seatTypes: SeatTypeBody[];
      waitingRoom: WaitingRoomSettings;
      waitingList?: WaitingListSettings;
    }): Promise<ConcertDoc> {
      const doc = await Concerts.create({
        ...input,
        seatTypes: input.seatTypes.map((s) => ({ ...s, _id: new Types.ObjectId(), nameKey: s.name.toLowerCase() })),
        createdAt: new Date(),
      });
      return doc.toObject();
    },
    findById(id: string) {
      return Concerts.findById(id).lean<ConcertDoc>();
    },
    list(when: 'upcoming' | 'past' | 'all', now: Date, limit: number, offset: number) {
      // Operators we write ourselves are marked trusted; sanitizeFilter strips any others.
      const filter = when === 'upcoming' ? { startsAt: mongoose.trusted({ $gt: now }) } : when === 'past' ? { startsAt: mongoose.trusted({ $lte: now }) } : {};
      return Concerts.find(filter)
        .sort({ startsAt: when === 'past' ? -1 : 1, _id: 1 })
        .skip(offset)
        .limit(limit)
        .lean<ConcertDoc[]>();
    },
    /** Sets the given fields; the updated concert, or null when there is none. */
    updateDetails(id: string, fields: { name?: string; venue?: string; description?: string; startsAt?: Date; waitingList?: WaitingListSettings }) {
      return Concerts.findOneAndUpdate({ _id: id }, { $set: fields }, { new: true }).lean<ConcertDoc>();
    },
    /**
     * Adds seats to a seat type; returns its capacity now. By array index: FerretDB v1 has no
     * positional `$` operator, and seat types are only ever appended, so the index is stable.
     */
    async addCapacity(concertId: string, seatTypeId: string, add: number): Promise<number> {
      const i = await seatTypeIndex(concertId, seatTypeId);
      await Concerts.updateOne({ _id: concertId, [`seatTypes.${i}._id`]: seatTypeId }, { $inc: { [`seatTypes.${i}.capacity`]: add } });
      // Callers hold the concert's rebuild lock: nothing else changes it between the two.
      const now = await Concerts.findById(concertId, { seatTypes: 1 }).lean<ConcertDoc>();
      const capacity = now?.seatTypes[i]?.capacity;
      if (capacity === undefined) throw new Error(`seat type ${seatTypeId} of concert ${concertId} vanished`);
      return capacity;
    },
    async closeSeatType(concertId: string, seatTypeId: string): Promise<void> {
      const i = await seatTypeIndex(concertId, seatTypeId);
      await Concerts.updateOne({ _id: concertId, [`seatTypes.${i}._id`]: seatTypeId }, { $set: { [`seatTypes.${i}.closed`]: true } });
    },
    /** Records the cut-off Redis applies (the first one: close-sales-1 keeps it). */
    async closeSales(concertId: string, at: Date): Promise<void> {
      await Concerts.updateOne({ _id: concertId }, { $set: { salesClosedAt: at } });
    },
    /**
     * Appends a seat type unless one with the same name exists. Callers hold the
     * concert's seat-type lock: FerretDB v1 neither evaluates `$ne` on array paths
     * in update filters nor makes findAndModify atomic, so the check needs the lock.
     */
    async addSeatType(concertId: string, seatType: SeatTypeBody): Promise<{ added: ConcertDoc['seatTypes'][number] } | 'name_taken' | 'not_found'> {
      const concert = await Concerts.findById(concertId, { 'seatTypes.nameKey': 1 }).lean<ConcertDoc>();
      if (!concert) return 'not_found';
      const added = { ...seatType, _id: new Types.ObjectId(), nameKey: seatType.name.toLowerCase() };
      if (concert.seatTypes.some((s) => s.nameKey === added.nameKey)) return 'name_taken';
      await Concerts.updateOne({ _id: concertId }, { $push: { seatTypes: added } });
      return { added };
    },
  };
}

export type ConcertRepository = ReturnType<typeof createConcertRepository>;

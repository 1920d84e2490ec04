import mongoose, { Types, type Connection } from 'mongoose';
import { concertModel, type ConcertDoc, type WaitingRoomSettings } from '../../lib/records/concert.record.js';
import type { SeatTypeBody } from './concert.schemas.js';

export function createConcertRepository(conn: Connection) {
  const Concerts = concertModel(conn);

  return {
    model: Concerts,
    async ensureIndexes() {
      await Concerts.createIndexes();
    },
    async insert(input: {
      name: string;
      venue: string;
      startsAt: Date;
      currency: string;
      seatTypes: SeatTypeBody[];
      waitingRoom: WaitingRoomSettings;
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

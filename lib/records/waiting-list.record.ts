import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The record of the waiting lists (the fast state is in Redis, lib/waiting-list/):
 *
 *   waiting_list          one document per (concert, fan): the choice and the place (seq,
 *                         Redis's join number), written after the join script placed the fan;
 *                         status 'waiting' until the fan leaves ('left')
 *   waiting_list_offers   one document per offer, keyed by the offer id the script made:
 *                         inserted 'open' once Redis made it (the insert decides who tells the
 *                         fan: once), then closed as accepted, declined or expired
 *
 * A rebuild of Redis (lib/waiting-list/waiting-list-rebuild.ts) reads both with the
 * bookings: a waiting fan offered since joining is not waiting any more (the offer
 * settled it), and an open offer whose fan booked since, or whose seat is booked, or
 * that a later offer of the same seat or fan replaced, is over.
 */
export interface WaitingListEntryDoc {
  concertId: string;
  userId: string;
  userEmail: string;
  /** A seatTypeId, or "any". */
  choice: string;
  /** The join number Redis gave: the place in the list. */
  seq: number;
  /** Redis's time of the join. */
  joinedAt: Date;
  status: 'waiting' | 'left';
}

export type OfferStatus = 'open' | 'accepted' | 'declined' | 'expired';

export interface WaitingListOfferDoc {
  /** The offer id, as the Lua script made it. */
  _id: string;
  concertId: string;
  userId: string;
  seatTypeId: string;
  seatNo: number;
  /** Redis's time of the offer, and when it stops (never after the concert's start). */
  createdAt: Date;
  expiresAt: Date;
  status: OfferStatus;
  closedAt?: Date;
}

const entrySchema = new Schema<WaitingListEntryDoc>(
  {
    concertId: { type: String, required: true },
    userId: { type: String, required: true },
    userEmail: { type: String, required: true },
    choice: { type: String, required: true },
    seq: { type: Number, required: true },
    joinedAt: { type: Date, required: true },
    status: { type: String, enum: ['waiting', 'left'], required: true },
  },
  { versionKey: false, collection: 'waiting_list' },
);
entrySchema.index({ concertId: 1, userId: 1 }, { unique: true, name: 'one_place_per_fan' });
entrySchema.index({ concertId: 1, status: 1 });

const offerSchema = new Schema<WaitingListOfferDoc>(
  {
    _id: { type: String, required: true },
    concertId: { type: String, required: true },
    userId: { type: String, required: true },
    seatTypeId: { type: String, required: true },
    seatNo: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    status: { type: String, enum: ['open', 'accepted', 'declined', 'expired'], required: true },
    closedAt: { type: Date },
  },
  { versionKey: false, collection: 'waiting_list_offers' },
);
offerSchema.index({ concertId: 1, status: 1 });
offerSchema.index({ concertId: 1, userId: 1 });

export function waitingListRecords(conn: Connection) {
  return {
    entries: (conn.models.WaitingListEntry as Model<WaitingListEntryDoc> | undefined) ?? conn.model<WaitingListEntryDoc>('WaitingListEntry', entrySchema),
    offers: (conn.models.WaitingListOffer as Model<WaitingListOfferDoc> | undefined) ?? conn.model<WaitingListOfferDoc>('WaitingListOffer', offerSchema),
  };
}

export type WaitingListRecords = ReturnType<typeof waitingListRecords>;

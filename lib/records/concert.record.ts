import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The concerts collection. The Concert service owns writes; the booking side
 * reads it (validation, rebuilding stock, email content), so the schema is shared.
 */
export interface SeatTypeDoc {
  _id: Types.ObjectId;
  name: string;
  /** Lower-cased name: seat-type names are unique per concert, case-insensitively. */
  nameKey: string;
  description?: string;
  price: number;
  capacity: number;
  /** Closed by an operator: no more bookings of it. */
  closed?: boolean;
}

export interface WaitingRoomSettings {
  enabled: boolean;
  opensAt?: Date;
  admitPerSecond?: number;
  maxActive?: number;
  /** the claim window's earlier name */
  tokenTtlSeconds?: number;
  claimWindowSeconds?: number;
  graceSeconds?: number;
  /** the operator's controls (persisted here so a restart keeps them; live copies in the line's Redis state) */
  paused?: boolean;
  draining?: boolean;
}

/** What prices are in when a concert names no currency (and for concerts recorded before it could). */
export const DEFAULT_CURRENCY = 'EUR';

/** The concert's waiting list (issue 16): how long an offered seat is held for its fan. */
export interface WaitingListSettings {
  offerTtlSeconds?: number;
}

export interface ConcertDoc {
  _id: Types.ObjectId;
  name: string;
  venue: string;
  description?: string;
  startsAt: Date;
  /** ISO 4217 code of every price of the concert; absent on concerts recorded before currencies (DEFAULT_CURRENCY). */
  currency?: string;
  /** Sales closed by an operator at this instant, by Redis's clock (the cut-off reserve-seat-3 applies). */
  salesClosedAt?: Date;
  seatTypes: SeatTypeDoc[];
  waitingRoom: WaitingRoomSettings;
  waitingList?: WaitingListSettings;
  createdAt: Date;
}

const seatTypeSchema = new Schema<SeatTypeDoc>(
  {
    name: { type: String, required: true },
    nameKey: { type: String, required: true },
    description: { type: String },
    price: { type: Number, required: true },
    capacity: { type: Number, required: true },
    closed: { type: Boolean },
  },
  { versionKey: false },
);

const concertSchema = new Schema<ConcertDoc>(
  {
    name: { type: String, required: true },
    venue: { type: String, required: true },
    description: { type: String },
    startsAt: { type: Date, required: true },
    currency: { type: String },
    salesClosedAt: { type: Date },
    seatTypes: { type: [seatTypeSchema], default: [] },
    waitingRoom: {
      enabled: { type: Boolean, default: false },
      opensAt: { type: Date },
      admitPerSecond: { type: Number },
      maxActive: { type: Number },
      tokenTtlSeconds: { type: Number },
      claimWindowSeconds: { type: Number },
      graceSeconds: { type: Number },
      paused: { type: Boolean },
      draining: { type: Boolean },
    },
    waitingList: { offerTtlSeconds: { type: Number } },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'concerts' },
);
concertSchema.index({ startsAt: 1 });

export function concertModel(conn: Connection) {
  return (conn.models.Concert as Model<ConcertDoc> | undefined) ?? conn.model<ConcertDoc>('Concert', concertSchema);
}

export type ConcertModel = ReturnType<typeof concertModel>;

import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The bookings collection: the record of who holds which seat.
 *
 * Two unique indexes make double-selling impossible in the record itself, even
 * if Redis were wrong (FerretDB v1 has no partial indexes, so "active only" is a
 * field that holds a constant while active and the booking id once cancelled):
 *   (concertId, userId, fanKey)   fanKey  = 'active' | <bookingId>   one ticket per fan
 *   (concertId, seatKey)          seatKey = '<seatTypeId>#<seatNo>' | <bookingId>   one holder per seat
 */
export interface BookingDoc {
  /** The request id that produced the booking. */
  _id: Types.ObjectId;
  concertId: string;
  seatTypeId: string;
  seatTypeName: string;
  seatNo: number;
  price: number;
  userId: string;
  /** Where the confirmation and cancellation emails go. */
  userEmail: string;
  status: 'confirmed' | 'cancelled';
  fanKey: string;
  seatKey: string;
  createdAt: Date;
  cancelledAt?: Date;
}

export const ACTIVE_FAN_KEY = 'active';
export const activeSeatKey = (seatTypeId: string, seatNo: number) => `${seatTypeId}#${seatNo}`;

const bookingSchema = new Schema<BookingDoc>(
  {
    concertId: { type: String, required: true },
    seatTypeId: { type: String, required: true },
    seatTypeName: { type: String, required: true },
    seatNo: { type: Number, required: true },
    price: { type: Number, required: true },
    userId: { type: String, required: true },
    userEmail: { type: String, required: true },
    status: { type: String, enum: ['confirmed', 'cancelled'], required: true },
    fanKey: { type: String, required: true },
    seatKey: { type: String, required: true },
    createdAt: { type: Date, required: true },
    cancelledAt: { type: Date },
  },
  { versionKey: false, collection: 'bookings' },
);
bookingSchema.index({ concertId: 1, userId: 1, fanKey: 1 }, { unique: true, name: 'one_active_booking_per_fan' });
bookingSchema.index({ concertId: 1, seatKey: 1 }, { unique: true, name: 'one_holder_per_seat' });
bookingSchema.index({ userId: 1, createdAt: -1 });

export function bookingModel(conn: Connection) {
  return (conn.models.Booking as Model<BookingDoc> | undefined) ?? conn.model<BookingDoc>('Booking', bookingSchema);
}

export type BookingModel = ReturnType<typeof bookingModel>;

export interface PublicBooking {
  id: string;
  concertId: string;
  seatTypeId: string;
  seatTypeName: string;
  seatNo: number;
  price: number;
  userId: string;
  status: 'confirmed' | 'cancelled';
  createdAt: string;
  cancelledAt?: string;
}

export function toPublicBooking(b: Omit<BookingDoc, 'fanKey' | 'seatKey'> & Partial<BookingDoc>): PublicBooking {
  return {
    id: String(b._id),
    concertId: b.concertId,
    seatTypeId: b.seatTypeId,
    seatTypeName: b.seatTypeName,
    seatNo: b.seatNo,
    price: b.price,
    userId: b.userId,
    status: b.status,
    createdAt: b.createdAt.toISOString(),
    ...(b.cancelledAt ? { cancelledAt: b.cancelledAt.toISOString() } : {}),
  };
}

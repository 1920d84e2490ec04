import { randomBytes } from 'node:crypto';
import { Schema, trusted, Types, type Connection, type Model } from 'mongoose';
import type { RejectionReason } from '../booking-requests.js';

/**
 * The bookings collection: the decision of every booking request (see
 * booking-request.record.ts for the lifecycle) and so the record of who holds
 * which seat. A rejection is a document too (status 'rejected', with its reason
 * and no seat): one insert keyed by the request id decides a request once.
 *
 * Two unique indexes make double-selling impossible in the record itself, even
 * if Redis were wrong (FerretDB v1 has no partial indexes, so "active only" is a
 * field that holds a constant while active and the booking id once cancelled):
 *   (concertId, userId, fanKey)   fanKey  = 'active' | <bookingId>   one ticket per fan
 *   (concertId, seatKey)          seatKey = '<seatTypeId>#<seatNo>' | <bookingId>   one holder per seat
 *
 * A booking's ticketRef is what the fan shows at the entrance: booking ids are
 * consecutive ObjectIds, so the ticket is 128 random bits instead (issue 18).
 * Unique; FerretDB v1 ignores `sparse`, so every decision has one (a rejection
 * stores its request id: hex of 24, never a booking's 22 base64url characters).
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
  /** What the fan shows at the entrance: newTicketRef(), made once with the booking (a retry reuses the recorded one). */
  ticketRef: string;
  /** When it was decided, by Redis's clock (so a confirmation is always before the start). */
  createdAt: Date;
  cancelledAt?: Date;
}

/** A request the decision refused: no seat, and keys that collide with nothing. */
export interface RejectionDoc {
  _id: Types.ObjectId;
  concertId: string;
  seatTypeId: string;
  userId: string;
  userEmail: string;
  status: 'rejected';
  reason: RejectionReason;
  fanKey: string;
  seatKey: string;
  /** The request id: unique like the index wants, and no ticket (rejections are never shown as bookings). */
  ticketRef: string;
  createdAt: Date;
}

/** What the bookings collection holds for a decided request. */
export type DecisionDoc = BookingDoc | RejectionDoc;

export const isBooking = (doc: DecisionDoc): doc is BookingDoc => doc.status !== 'rejected';

/** A rejection as recorded: keyed by the request id, like the booking it did not become. */
export function rejectionDoc(
  request: { requestId: string; concertId: string; seatTypeId: string; userId: string; userEmail: string },
  reason: RejectionReason,
  decidedAt: Date,
): RejectionDoc {
  return {
    _id: new Types.ObjectId(request.requestId),
    concertId: request.concertId,
    seatTypeId: request.seatTypeId,
    userId: request.userId,
    userEmail: request.userEmail,
    status: 'rejected',
    reason,
    fanKey: request.requestId,
    seatKey: request.requestId,
    ticketRef: request.requestId,
    createdAt: decidedAt,
  };
}

export const ACTIVE_FAN_KEY = 'active';

/** A new ticket reference: 16 random bytes (128 bits), base64url (22 characters). */
export const newTicketRef = () => randomBytes(16).toString('base64url');
export const activeSeatKey = (seatTypeId: string, seatNo: number) => `${seatTypeId}#${seatNo}`;

/** Every field a decision document may have, for the schema. */
type StoredDecision = Omit<BookingDoc, 'status'> & { status: DecisionDoc['status']; reason?: RejectionReason };

const bookingSchema = new Schema<StoredDecision>(
  {
    concertId: { type: String, required: true },
    seatTypeId: { type: String, required: true },
    seatTypeName: { type: String },
    seatNo: { type: Number },
    price: { type: Number },
    userId: { type: String, required: true },
    userEmail: { type: String, required: true },
    status: { type: String, enum: ['confirmed', 'cancelled', 'rejected'], required: true },
    reason: { type: String },
    fanKey: { type: String, required: true },
    seatKey: { type: String, required: true },
    ticketRef: { type: String, required: true },
    createdAt: { type: Date, required: true },
    cancelledAt: { type: Date },
  },
  { versionKey: false, collection: 'bookings' },
);
bookingSchema.index({ concertId: 1, userId: 1, fanKey: 1 }, { unique: true, name: 'one_active_booking_per_fan' });
bookingSchema.index({ concertId: 1, seatKey: 1 }, { unique: true, name: 'one_holder_per_seat' });
bookingSchema.index({ ticketRef: 1 }, { unique: true, name: 'one_booking_per_ticket' });
bookingSchema.index({ userId: 1, createdAt: -1 });
// The reconciler's windows: recent decisions and recent cancellations.
bookingSchema.index({ createdAt: 1 });
bookingSchema.index({ cancelledAt: 1 });

export function bookingModel(conn: Connection) {
  return (conn.models.Booking as Model<BookingDoc> | undefined) ?? conn.model<BookingDoc>('Booking', bookingSchema as unknown as Schema<BookingDoc>);
}

/**
 * Bookings as fans and admins see them: confirmed or cancelled, never a rejection.
 * `trusted`: the connection sanitises filters (sanitizeFilter), and this operator is ours.
 */
export const BOOKED = { status: trusted({ $ne: 'rejected' }) };

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
  /** What to show at the entrance (the id is guessable; this is 128 random bits). */
  ticketRef: string;
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
    ticketRef: b.ticketRef,
    createdAt: b.createdAt.toISOString(),
    ...(b.cancelledAt ? { cancelledAt: b.cancelledAt.toISOString() } : {}),
  };
}

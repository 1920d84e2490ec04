import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The booking_requests collection: every booking request the platform accepted,
 * written (in batches) before the fan is answered 202. With the bookings
 * collection it is the one owner of a request's lifecycle:
 *
 *   accepted   a booking_requests document, and no bookings document of that id yet
 *   confirmed  the bookings document of that id, status 'confirmed'
 *   rejected   the bookings document of that id, status 'rejected' with its reason
 *   cancelled  the bookings document of that id, status 'cancelled'
 *
 * Both are written insert-only on the hot path (FerretDB is fast at batched inserts
 * and slow at updates), and the decision is one insert whose `_id` is the request
 * id, so a request is decided once whatever retries or repeated jobs do.
 *
 * (userId, idempotencyKey) is unique: the fan's Idempotency-Key is bound to the
 * request durably, so a retry finds its first answer even after Redis restarts
 * empty. A request sent without a key stores its own id there (FerretDB v1 ignores
 * `sparse`, so a missing key would collide).
 */
export interface BookingRequestDoc {
  /** The request id; the booking (or rejection) it leads to has the same `_id`. */
  _id: Types.ObjectId;
  userId: string;
  /** Where the confirmation email goes. */
  userEmail: string;
  concertId: string;
  seatTypeId: string;
  idempotencyKey: string;
  submittedAt: Date;
  /** The waiting-list offer this request accepts (its seat comes from the offer). */
  offerId?: string;
}

const bookingRequestSchema = new Schema<BookingRequestDoc>(
  {
    userId: { type: String, required: true },
    userEmail: { type: String, required: true },
    concertId: { type: String, required: true },
    seatTypeId: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    submittedAt: { type: Date, required: true },
    offerId: { type: String },
  },
  { versionKey: false, collection: 'booking_requests' },
);
bookingRequestSchema.index({ userId: 1, idempotencyKey: 1 }, { unique: true, name: 'one_request_per_idempotency_key' });
bookingRequestSchema.index({ submittedAt: 1 });

export function bookingRequestModel(conn: Connection) {
  return (conn.models.BookingRequest as Model<BookingRequestDoc> | undefined) ?? conn.model<BookingRequestDoc>('BookingRequest', bookingRequestSchema);
}

export type BookingRequestModel = ReturnType<typeof bookingRequestModel>;

import { trusted, type Connection } from 'mongoose';
import { BOOKED, bookingModel, newTicketRef, type BookingDoc } from '../../lib/records/booking.record.js';

const isObjectId = (id: string) => /^[a-f0-9]{24}$/i.test(id);

export function createBookingRepository(conn: Connection) {
  const Bookings = bookingModel(conn);
  return {
    model: Bookings,
    async ensureIndexes() {
      // Decisions recorded before ticket references (issue 18) get one before the unique index is
      // built (FerretDB ignores `sparse`: two without would collide). Conditional, so replicas may race.
      const missing = { ticketRef: trusted({ $exists: false }) };
      for await (const doc of Bookings.find(missing, { _id: 1, status: 1 }).lean<Array<Pick<BookingDoc, '_id'> & { status: string }>>()) {
        const ticketRef = doc.status === 'rejected' ? String(doc._id) : newTicketRef();
        await Bookings.updateOne({ _id: doc._id, ...missing }, { $set: { ticketRef } });
      }
      await Bookings.createIndexes();
    },
    /** A booking (confirmed or cancelled); a rejected request is no booking. */
    async findById(id: string): Promise<BookingDoc | null> {
      return isObjectId(id) ? Bookings.findOne({ _id: id, ...BOOKED }).lean<BookingDoc>() : null;
    },
    listByUser(userId: string, limit: number, offset: number) {
      return Bookings.find({ userId, ...BOOKED })
        .sort({ createdAt: -1, _id: -1 })
        .skip(offset)
        .limit(limit)
        .lean<BookingDoc[]>();
    },
    /** Confirmed → cancelled, only if still confirmed; frees the unique keys so fan and seat can be booked again. */
    async markCancelled(id: string, cancelledAt: Date): Promise<BookingDoc | null> {
      return Bookings.findOneAndUpdate(
        { _id: id, status: 'confirmed' },
        { $set: { status: 'cancelled', cancelledAt, fanKey: id, seatKey: id } },
        { new: true },
      ).lean<BookingDoc>();
    },
  };
}

export type BookingRepository = ReturnType<typeof createBookingRepository>;

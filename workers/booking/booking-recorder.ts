import { createInsertBatcher } from '../../lib/insert-batcher.js';
import type { Logger } from '../../lib/logger.js';
import { ACTIVE_FAN_KEY, type BookingDoc, type BookingModel } from '../../lib/records/booking.record.js';

/**
 * What happened when a booking was written:
 *   recorded          written now
 *   already_recorded  a previous try of this job wrote it
 *   fan_conflict      the record says this fan already holds another booking
 *   seat_conflict     the record says someone else holds this seat
 */
export type RecordOutcome = 'recorded' | 'already_recorded' | 'fan_conflict' | 'seat_conflict';

/**
 * Writes bookings to MongoDB in small batches: one insertMany per few
 * milliseconds of decisions instead of one round trip per booking (FerretDB
 * is slow one document at a time). Each caller still learns its own outcome.
 */
export function createBookingRecorder(bookings: BookingModel, logger: Logger, opts: { maxBatch: number; maxWaitMs: number }) {
  const batcher = createInsertBatcher<BookingDoc>((docs) => bookings.collection.insertMany(docs, { ordered: false }), opts);

  async function classifyDuplicate(doc: BookingDoc): Promise<RecordOutcome> {
    if (await bookings.exists({ _id: doc._id })) return 'already_recorded';
    if (await bookings.exists({ concertId: doc.concertId, userId: doc.userId, fanKey: ACTIVE_FAN_KEY })) return 'fan_conflict';
    return 'seat_conflict';
  }

  return {
    async record(doc: BookingDoc): Promise<RecordOutcome> {
      return (await batcher.insert(doc)) === 'inserted' ? 'recorded' : classifyDuplicate(doc);
    },
    /** The booking a request produced, if it is in the record. */
    async find(requestId: string): Promise<BookingDoc | null> {
      return bookings.findById(requestId).lean<BookingDoc>().exec();
    },
    /** Writes what is pending and waits for every write in flight (graceful shutdown). */
    async drain() {
      await batcher.drain();
      logger.debug('booking recorder drained');
    },
  };
}

export type BookingRecorder = ReturnType<typeof createBookingRecorder>;

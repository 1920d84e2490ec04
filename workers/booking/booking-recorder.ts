import { createInsertBatcher } from '../../lib/insert-batcher.js';
import type { Logger } from '../../lib/logger.js';
import { ACTIVE_FAN_KEY, type BookingModel, type DecisionDoc } from '../../lib/records/booking.record.js';

/**
 * What happened when a decision was written:
 *   recorded          written now
 *   already_recorded  this request was decided before (a previous try of this job, or a repeated job)
 *   fan_conflict      the record says this fan already holds another booking
 *   seat_conflict     the record says someone else holds this seat
 */
export type RecordOutcome = 'recorded' | 'already_recorded' | 'fan_conflict' | 'seat_conflict';

/**
 * Writes decisions (bookings and rejections) to MongoDB in small batches: one
 * insertMany per few milliseconds of decisions instead of one round trip each
 * (FerretDB is slow one document at a time). Each caller still learns its own
 * outcome. The document's `_id` is the request id, so a request is decided once.
 */
export function createBookingRecorder(bookings: BookingModel, logger: Logger, opts: { maxBatch: number; maxWaitMs: number }) {
  const batcher = createInsertBatcher<DecisionDoc>((docs) => bookings.collection.insertMany(docs, { ordered: false }), opts);

  async function classifyDuplicate(doc: DecisionDoc): Promise<RecordOutcome> {
    if (await bookings.exists({ _id: doc._id })) return 'already_recorded';
    if (await bookings.exists({ concertId: doc.concertId, userId: doc.userId, fanKey: ACTIVE_FAN_KEY })) return 'fan_conflict';
    return 'seat_conflict';
  }

  return {
    async record(doc: DecisionDoc): Promise<RecordOutcome> {
      return (await batcher.insert(doc)) === 'inserted' ? 'recorded' : classifyDuplicate(doc);
    },
    /** The decision a request got, if it is in the record (throws while the record cannot be read). */
    async find(requestId: string): Promise<DecisionDoc | null> {
      return bookings.findById(requestId).lean<DecisionDoc>().exec();
    },
    /** Writes what is pending and waits for every write in flight (graceful shutdown). */
    async drain() {
      await batcher.drain();
      logger.debug('booking recorder drained');
    },
  };
}

export type BookingRecorder = ReturnType<typeof createBookingRecorder>;

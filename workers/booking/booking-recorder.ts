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

interface Pending {
  doc: BookingDoc;
  resolve: (outcome: RecordOutcome) => void;
  reject: (err: unknown) => void;
}

interface WriteErrorLike {
  index: number;
  code?: number;
  err?: { code?: number };
}

/**
 * Writes bookings to MongoDB in small batches: one insertMany per few
 * milliseconds of decisions instead of one round trip per booking (FerretDB
 * is slow one document at a time). Each caller still learns its own outcome.
 */
export function createBookingRecorder(bookings: BookingModel, logger: Logger, opts: { maxBatch: number; maxWaitMs: number }) {
  let pending: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function classifyDuplicate(doc: BookingDoc): Promise<RecordOutcome> {
    if (await bookings.exists({ _id: doc._id })) return 'already_recorded';
    if (await bookings.exists({ concertId: doc.concertId, userId: doc.userId, fanKey: ACTIVE_FAN_KEY })) return 'fan_conflict';
    return 'seat_conflict';
  }

  async function flush() {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    inFlight++;
    try {
      await bookings.collection.insertMany(
        batch.map((p) => p.doc),
        { ordered: false },
      );
      for (const p of batch) p.resolve('recorded');
    } catch (err) {
      const writeErrors = (err as { writeErrors?: WriteErrorLike[] | WriteErrorLike }).writeErrors;
      if (!writeErrors) {
        for (const p of batch) p.reject(err);
        return;
      }
      const failed = new Map((Array.isArray(writeErrors) ? writeErrors : [writeErrors]).map((w) => [w.index, w.code ?? w.err?.code]));
      batch.forEach((p, index) => {
        if (!failed.has(index)) return p.resolve('recorded');
        if (failed.get(index) !== 11000) return p.reject(err);
        classifyDuplicate(p.doc).then(p.resolve, p.reject);
      });
    } finally {
      inFlight--;
      if (inFlight === 0 && !pending.length) drained?.();
    }
  }

  return {
    record(doc: BookingDoc): Promise<RecordOutcome> {
      return new Promise<RecordOutcome>((resolve, reject) => {
        pending.push({ doc, resolve, reject });
        if (pending.length >= opts.maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), opts.maxWaitMs);
      });
    },
    /** Writes what is pending and waits for every write in flight (graceful shutdown). */
    async drain() {
      await flush();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      logger.debug('booking recorder drained');
    },
  };
}

export type BookingRecorder = ReturnType<typeof createBookingRecorder>;

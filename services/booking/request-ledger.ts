import { Types, type Connection } from 'mongoose';
import type { RejectionReason } from '../../lib/booking-requests.js';
import { createInsertBatcher } from '../../lib/insert-batcher.js';
import { LruMap } from '../../lib/lru-map.js';
import { bookingRequestModel, type BookingRequestDoc } from '../../lib/records/booking-request.record.js';
import { bookingModel, rejectionDoc, type DecisionDoc } from '../../lib/records/booking.record.js';

const isObjectId = (id: string) => /^[a-f0-9]{24}$/i.test(id);
/** Owners of requests seen lately, per process: a request is immutable, so its owner can be remembered. */
const OWNERS_REMEMBERED = 100_000;

/** A request as the booking service accepts it. */
export interface AcceptedRequest {
  requestId: string;
  userId: string;
  userEmail: string;
  concertId: string;
  seatTypeId: string;
  /** The fan's Idempotency-Key, if the submission had one. */
  idempotencyKey?: string;
  submittedAt: Date;
  /** The waiting-list offer it accepts. */
  offerId?: string;
}

/**
 * The booking service's side of the request record (booking-request.record.ts):
 * accepting requests durably, in batches, before they are answered 202, and
 * reading a request's state back. Decisions are written by the workers.
 */
export function createRequestLedger(conn: Connection, opts: { maxBatch: number; maxWaitMs: number }) {
  const requests = bookingRequestModel(conn);
  const decisions = bookingModel(conn);
  const batcher = createInsertBatcher<BookingRequestDoc>((docs) => requests.collection.insertMany(docs, { ordered: false }), opts);
  // A poll of an undecided request costs one read (its decision) instead of two.
  const owners = new LruMap<string, string>(OWNERS_REMEMBERED);

  const docOf = (r: AcceptedRequest): BookingRequestDoc => ({
    _id: new Types.ObjectId(r.requestId),
    userId: r.userId,
    userEmail: r.userEmail,
    concertId: r.concertId,
    seatTypeId: r.seatTypeId,
    idempotencyKey: r.idempotencyKey ?? r.requestId,
    submittedAt: r.submittedAt,
    ...(r.offerId ? { offerId: r.offerId } : {}),
  });

  const findRequest = (requestId: string): Promise<BookingRequestDoc | null> =>
    isObjectId(requestId) ? requests.findById(requestId).lean<BookingRequestDoc>().exec() : Promise.resolve(null);

  return {
    requests,
    async ensureIndexes() {
      await requests.createIndexes();
    },

    /** Writes the request; 'duplicate' when the fan's Idempotency-Key already stands for another request. */
    async accept(request: AcceptedRequest) {
      const outcome = await batcher.insert(docOf(request));
      if (outcome === 'inserted') owners.set(request.requestId, request.userId);
      return outcome;
    },

    /**
     * A request refused before queueing, remembered (accepted and rejected at
     * once) so a retry with the same Idempotency-Key gets the same answer.
     */
    async acceptRejected(request: AcceptedRequest, reason: RejectionReason, decidedAt: Date) {
      const accepted = await batcher.insert(docOf(request));
      if (accepted === 'duplicate') return accepted;
      await decisions.collection.insertOne(rejectionDoc(request, reason, decidedAt));
      return accepted;
    },

    findByKey(userId: string, idempotencyKey: string): Promise<BookingRequestDoc | null> {
      return requests.findOne({ userId, idempotencyKey }).lean<BookingRequestDoc>().exec();
    },

    /** Who accepted request `requestId` belongs to, if it exists (remembered once read: it never changes). */
    async ownerOf(requestId: string): Promise<string | null> {
      const known = owners.get(requestId);
      if (known) return known;
      const request = await findRequest(requestId);
      if (request) owners.set(requestId, request.userId);
      return request?.userId ?? null;
    },

    findRequest,

    /** The decision of a request: its booking, or its rejection. */
    findDecision(requestId: string): Promise<DecisionDoc | null> {
      return isObjectId(requestId) ? decisions.findById(requestId).lean<DecisionDoc>().exec() : Promise.resolve(null);
    },

    async drain() {
      await batcher.drain();
    },
  };
}

export type RequestLedger = ReturnType<typeof createRequestLedger>;

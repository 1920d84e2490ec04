import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import { decisionOf, type Decision, type RejectionReason } from '../../lib/booking-requests.js';
import { ReserveCode, REJECTION_BY_CODE, SettleCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory, ReserveOutcome } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../lib/logger.js';
import { enqueueBookingEmail } from '../../lib/notification-jobs.js';
import type { ReserveJobData } from '../../lib/queues.js';
import { ACTIVE_FAN_KEY, activeSeatKey, isBooking, newTicketRef, rejectionDoc, type BookingDoc, type DecisionDoc } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import type { WaitingList } from '../../lib/waiting-list/waiting-list.js';
import type { BookingRecorder } from './booking-recorder.js';
import type { DecisionPublisher } from './decision-publisher.js';

export interface DecisionDeps {
  inventory: Inventory;
  loader: InventoryLoader;
  recorder: BookingRecorder;
  concerts: ConcertCache;
  publisher: DecisionPublisher;
  notifications: Pick<Queue, 'add'>;
  /** Decides requests that accept a waiting-list offer (reserve-offered-seat-9.lua). */
  offers: Pick<WaitingList, 'reserveOffered'>;
  logger: Logger;
  /** Called after each final answer (metrics, stock broadcasts). */
  onDecision?: (data: ReserveJobData, decision: Decision) => void;
  /** Frees the waiting-room slot of the admission a request used (freeAdmissionSlot). */
  freeAdmissionSlot: (concertId: string, fanId: string) => Promise<unknown>;
}

/** Giving up needs the record: whether an earlier try wrote the booking is unknown until it can be read. */
export class RecordUnreadableError extends Error {
  override name = 'RecordUnreadableError';
}

/** A seat lost to a record/Redis disagreement is retried this often before giving up. */
const MAX_SEAT_CONFLICTS = 5;

/**
 * Decides one booking request. The decision itself is reserve-seat-3.lua; this
 * records it in MongoDB (a booking, or a rejection, keyed by the request id) and
 * tells the fan. Safe to run again for the same request: the script hands a
 * retried job its own earlier seat, and a request the record has decided is
 * never decided again.
 */
export function createBookingDecider(deps: DecisionDeps) {
  const { inventory, loader, recorder, concerts, publisher, logger } = deps;

  async function tell(data: ReserveJobData, decision: Decision): Promise<Decision> {
    // Before the fan hears: by then the room's next tick counts the stock this decision left, not the slot.
    if (data.admitted)
      await deps
        .freeAdmissionSlot(data.concertId, data.userId)
        .catch((err: Error) => logger.warn({ err: err.message, concertId: data.concertId }, 'admission slot not freed (it frees itself)'));
    publisher.publish(data.userId, decision);
    deps.onDecision?.(data, decision);
    return decision;
  }

  /** Records a refusal, then tells the fan; a request decided before keeps its first answer. */
  async function reject(data: ReserveJobData, reason: RejectionReason): Promise<Decision> {
    const recorded = await recorder.record(rejectionDoc(data, reason, new Date()));
    if (recorded === 'recorded') return tell(data, { requestId: data.requestId, status: 'rejected', reason });
    const earlier = await recorder.find(data.requestId);
    if (!earlier) throw new Error(`request ${data.requestId}: the record refused its rejection but holds no decision`);
    return isBooking(earlier) ? confirmRecorded(data, earlier) : decisionOf(earlier);
  }

  /**
   * Makes Redis hold a recorded booking. NotLoaded does not mean "the next rebuild
   * will read it": a rebuild may have read the record before this booking was
   * written and store its keys just after — the hold would be lost (seen in CI:
   * 97 confirmed bookings without a holder after the keys vanished mid-sale). So
   * wait for the keys and settle again; the epoch has changed, so a hold the
   * rebuild missed is put back.
   */
  async function settleRecorded(data: ReserveJobData, reservation: ReserveOutcome): Promise<SettleCode> {
    let code = await inventory.settle(data.concertId, data.userId, data.requestId, reservation);
    while (code === SettleCode.NotLoaded && (await loader.ensureLoaded(data.concertId))) {
      code = await inventory.settle(data.concertId, data.userId, data.requestId, reservation);
    }
    return code;
  }

  /** Deterministic job id, and the outbox sends once: safe to repeat. */
  async function queueConfirmationEmail(data: ReserveJobData, doc: BookingDoc) {
    await enqueueBookingEmail(deps.notifications, 'confirmed', doc, await concerts.get(data.concertId));
  }

  /** Queues the confirmation email, then tells the fan. */
  async function confirm(data: ReserveJobData, doc: BookingDoc): Promise<Decision> {
    await queueConfirmationEmail(data, doc);
    return tell(data, decisionOf(doc));
  }

  /** Puts a recorded confirmed booking's hold back if Redis lacks it (epoch '' never matches a load's). */
  async function restoreHold(data: ReserveJobData, record: BookingDoc) {
    if (record.status !== 'confirmed') return;
    await settleRecorded(data, { code: ReserveCode.Reserved, seatNo: record.seatNo, decidedAt: record.createdAt, seatTypeId: record.seatTypeId, epoch: '' });
  }

  /**
   * An earlier attempt of this request recorded its booking, but this attempt was
   * refused or took another seat (Redis lost writes): the record wins. Redis is
   * made to agree (hold on the recorded seat, that seat off the free list) and the
   * fan is told confirmed, as before.
   */
  async function confirmRecorded(data: ReserveJobData, record: BookingDoc): Promise<Decision> {
    logger.warn({ requestId: data.requestId, seatNo: record.seatNo }, 'this request is already booked in the record; Redis made to agree');
    await restoreHold(data, record);
    return confirm(data, record);
  }

  /**
   * A repeated job (a retry, a stalled job, or one the reconciler queued again
   * after Redis lost it) whose request the record has decided: nothing is decided
   * again and the fan is not told twice. A confirmation's hold and email may be
   * what Redis lost, so both are put back (each idempotent).
   */
  async function settleDecided(data: ReserveJobData, earlier: DecisionDoc): Promise<Decision> {
    if (earlier.status === 'confirmed') {
      await restoreHold(data, earlier);
      await queueConfirmationEmail(data, earlier);
    }
    return decisionOf(earlier);
  }

  function bookingOf(data: ReserveJobData, outcome: ReserveOutcome, seatType: { name: string; price: number }): BookingDoc {
    return {
      _id: new Types.ObjectId(data.requestId),
      concertId: data.concertId,
      seatTypeId: data.seatTypeId,
      seatTypeName: seatType.name,
      seatNo: outcome.seatNo,
      price: seatType.price,
      userId: data.userId,
      userEmail: data.userEmail,
      status: 'confirmed',
      fanKey: ACTIVE_FAN_KEY,
      seatKey: activeSeatKey(data.seatTypeId, outcome.seatNo),
      // Made once per booking document: a retry that finds this one recorded confirms the recorded
      // document (and so its ticket); a seat conflict (or, at 2^-128, a ticket collision) builds a new one.
      ticketRef: newTicketRef(),
      // The decision time inside Redis, so createdAt < startsAt always holds.
      createdAt: outcome.decidedAt,
    };
  }

  return {
    /**
     * `mayRepeat`: this job may have run before (a retry, a stalled job, or one
     * queued again by the reconciler), so the record is read first. A first run
     * skips that read (one MongoDB round trip less per decision on the hot path):
     * its request cannot have a decision yet.
     */
    async decide(data: ReserveJobData, opts: { mayRepeat?: boolean } = {}): Promise<Decision> {
      if (opts.mayRepeat) {
        const earlier = await recorder.find(data.requestId);
        if (earlier) return settleDecided(data, earlier);
      }
      for (let conflicts = 0; conflicts <= MAX_SEAT_CONFLICTS;) {
        const outcome = data.offerId
          ? await deps.offers.reserveOffered(data.concertId, data.seatTypeId, data.userId, data.requestId, data.offerId)
          : await inventory.reserve(data.concertId, data.seatTypeId, data.userId, data.requestId);
        if (outcome.code === ReserveCode.NotLoaded) {
          if (!(await loader.ensureLoaded(data.concertId))) return reject(data, 'not_found');
          continue;
        }
        const rejection = REJECTION_BY_CODE[outcome.code];
        if (rejection) return reject(data, rejection);

        const concert = await concerts.get(data.concertId, data.seatTypeId);
        const seatType = concert?.seatTypes.find((s) => String(s._id) === data.seatTypeId);
        if (!concert || !seatType) {
          await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
          return reject(data, 'not_found');
        }
        const doc = bookingOf(data, outcome, seatType);
        const recorded = await recorder.record(doc);
        if (recorded === 'fan_conflict') {
          await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
          return reject(data, 'already_booked');
        }
        if (recorded === 'seat_conflict') {
          // Redis handed out a seat the record says is taken (a rebuild raced an
          // in-flight booking): drop the hold, keep the seat off the free list, try again.
          logger.warn({ requestId: data.requestId, seatKey: doc.seatKey }, 'seat already held in the record; reserving another');
          await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId, { returnSeat: false });
          conflicts++;
          continue;
        }
        let booked = doc;
        if (recorded === 'already_recorded') {
          const record = await recorder.find(data.requestId);
          if (record && (!isBooking(record) || record.seatNo !== doc.seatNo || record.status !== 'confirmed')) {
            // Another attempt decided differently (another seat, or a refusal): give back the seat taken now.
            await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
            return isBooking(record) ? confirmRecorded(data, record) : decisionOf(record);
          }
          // An earlier attempt recorded this very seat: its document (and its ticket) is the booking.
          if (record && isBooking(record)) booked = record;
        }
        if ((await settleRecorded(data, outcome)) === SettleCode.Repaired) {
          logger.warn({ requestId: data.requestId }, 'hold restored after a rebuild raced this booking');
        }
        return confirm(data, booked);
      }
      return reject(data, 'service_unavailable');
    },

    /**
     * The last try failed (MongoDB down for longer than the retries): if the
     * record has a decision, that is the answer; otherwise give the seat back and
     * record the refusal. Throws RecordUnreadableError, deciding nothing, while
     * the record cannot be read or written.
     */
    async giveUp(data: ReserveJobData): Promise<Decision> {
      let recorded: DecisionDoc | null;
      try {
        recorded = await recorder.find(data.requestId);
      } catch (err) {
        // A write whose reply was lost may have landed: "no" could contradict the record.
        throw new RecordUnreadableError(`the record of request ${data.requestId} cannot be read: ${(err as Error).message}`);
      }
      if (recorded) return isBooking(recorded) ? tell(data, decisionOf(recorded)) : decisionOf(recorded);
      await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
      try {
        return await reject(data, 'service_unavailable');
      } catch (err) {
        throw new RecordUnreadableError(`the refusal of request ${data.requestId} cannot be recorded: ${(err as Error).message}`);
      }
    },
  };
}

export type BookingDecider = ReturnType<typeof createBookingDecider>;

import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { Decision, RejectionReason } from '../../lib/booking-requests.js';
import { ReserveCode, REJECTION_BY_CODE, SettleCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../lib/logger.js';
import { NOTIFICATION_JOBS, type ReserveJobData } from '../../lib/queues.js';
import { ACTIVE_FAN_KEY, activeSeatKey, toPublicBooking, type BookingDoc } from '../../lib/records/booking.record.js';
import { enqueueBookingNotification } from '../../services/notification/notification.jobs.js';
import type { BookingRecorder } from './booking-recorder.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import type { DecisionPublisher } from './decision-publisher.js';

export interface DecisionDeps {
  inventory: Inventory;
  loader: InventoryLoader;
  recorder: BookingRecorder;
  concerts: ConcertCache;
  publisher: DecisionPublisher;
  notifications: Pick<Queue, 'add'>;
  logger: Logger;
  /** Called after each final answer (metrics, stock broadcasts). */
  onDecision?: (data: ReserveJobData, decision: Decision) => void;
}

/** Giving up needs the record: whether an earlier try wrote the booking is unknown until it can be read. */
export class RecordUnreadableError extends Error {
  override name = 'RecordUnreadableError';
}

/** A seat lost to a record/Redis disagreement is retried this often before giving up. */
const MAX_SEAT_CONFLICTS = 5;

/**
 * Decides one booking request. The decision itself is reserve-seat-3.lua; this
 * records it in MongoDB and tells the fan. Safe to run again for the same
 * request: the script hands a retried job its own earlier seat.
 */
export function createBookingDecider(deps: DecisionDeps) {
  const { inventory, loader, recorder, concerts, publisher, logger } = deps;

  async function answer(data: ReserveJobData, decision: Decision): Promise<Decision> {
    await publisher.publish(data.userId, decision);
    deps.onDecision?.(data, decision);
    return decision;
  }

  const reject = (data: ReserveJobData, reason: RejectionReason) => answer(data, { requestId: data.requestId, status: 'rejected', reason });

  /**
   * Makes Redis hold a recorded booking. NotLoaded does not mean "the next rebuild
   * will read it": a rebuild may have read the record before this booking was
   * written and store its keys just after — the hold would be lost (seen in CI:
   * 97 confirmed bookings without a holder after the keys vanished mid-sale). So
   * wait for the keys and settle again; the epoch has changed, so a hold the
   * rebuild missed is put back.
   */
  async function settleRecorded(data: ReserveJobData, reservation: Parameters<typeof inventory.settle>[3]): Promise<SettleCode> {
    let code = await inventory.settle(data.concertId, data.userId, data.requestId, reservation);
    while (code === SettleCode.NotLoaded && (await loader.ensureLoaded(data.concertId))) {
      code = await inventory.settle(data.concertId, data.userId, data.requestId, reservation);
    }
    return code;
  }

  /** Queues the confirmation email; its job id is deterministic and the outbox sends once, so queuing again is safe. */
  function queueConfirmationEmail(data: ReserveJobData, doc: BookingDoc, concert: { name: string; venue: string; startsAt: Date }) {
    return enqueueBookingNotification(deps.notifications, NOTIFICATION_JOBS.bookingConfirmed, {
      bookingId: String(doc._id),
      userId: data.userId,
      userEmail: data.userEmail,
      concertId: data.concertId,
      concertName: concert.name,
      venue: concert.venue,
      startsAt: concert.startsAt.toISOString(),
      seatTypeId: data.seatTypeId,
      seatTypeName: doc.seatTypeName,
      price: doc.price,
      occurredAt: doc.createdAt.toISOString(),
    });
  }

  /** Queues the confirmation email, then tells the fan. */
  async function confirm(data: ReserveJobData, doc: BookingDoc, concert: { name: string; venue: string; startsAt: Date }): Promise<Decision> {
    await queueConfirmationEmail(data, doc, concert);
    return answer(data, { requestId: data.requestId, status: 'confirmed', booking: toPublicBooking(doc) });
  }

  /**
   * A repeated job whose request is already confirmed: the email job queued with
   * that answer may be the one thing Redis lost (a restart between queuing the
   * email and writing the answer leaves the answer in the new Redis and the email
   * in the lost one). Queued again; the fan is not told twice.
   */
  async function requeueConfirmationEmail(data: ReserveJobData): Promise<void> {
    const [record, concert] = await Promise.all([recorder.find(data.requestId), concerts.get(data.concertId, data.seatTypeId)]);
    if (record?.status === 'confirmed' && concert) await queueConfirmationEmail(data, record, concert);
  }

  /**
   * An earlier attempt of this request recorded its booking, but Redis no longer
   * shows that hold (Redis lost writes, and this attempt was refused or took
   * another seat): the record wins. Redis is made to agree (hold on the recorded
   * seat, that seat off the free list) and the fan is told confirmed, as before.
   */
  async function confirmRecorded(data: ReserveJobData, record: BookingDoc): Promise<Decision> {
    logger.warn({ requestId: data.requestId, seatNo: record.seatNo }, 'this request is already booked in the record; Redis made to agree');
    if (record.status === 'confirmed') {
      // epoch '' never matches the load's, so the hold is restored if it is missing.
      await settleRecorded(data, { code: ReserveCode.Reserved, seatNo: record.seatNo, decidedAt: record.createdAt, seatTypeId: record.seatTypeId, epoch: '' });
    }
    const concert = await concerts.get(data.concertId, data.seatTypeId);
    if (!concert) return answer(data, { requestId: data.requestId, status: 'confirmed', booking: toPublicBooking(record) });
    return confirm(data, record, concert);
  }

  return {
    /**
     * `mayRepeat`: this job may have run before (a retry, a stalled job, or one
     * queued again after Redis lost it), so a refusal is checked against the record.
     */
    async decide(data: ReserveJobData, opts: { mayRepeat?: boolean } = {}): Promise<Decision> {
      // Answered already: a retry after the answer went out, or a job the booking
      // service queued again because Redis lost it (request-journal.ts). Never twice.
      // Only a job that may have run before can have an answer: a first run skips
      // the read (one Redis round trip less per decision on the hot path).
      const earlier = opts.mayRepeat ? await publisher.published(data.requestId) : undefined;
      if (earlier) {
        if (earlier.status === 'confirmed') await requeueConfirmationEmail(data);
        return earlier;
      }
      for (let conflicts = 0; conflicts <= MAX_SEAT_CONFLICTS;) {
        const outcome = await inventory.reserve(data.concertId, data.seatTypeId, data.userId, data.requestId);
        if (outcome.code === ReserveCode.NotLoaded) {
          if (!(await loader.ensureLoaded(data.concertId))) return reject(data, 'not_found');
          continue;
        }
        const rejection = REJECTION_BY_CODE[outcome.code];
        if (rejection) {
          const record = opts.mayRepeat ? await recorder.find(data.requestId) : null;
          if (record) return confirmRecorded(data, record);
          return reject(data, rejection);
        }

        const concert = await concerts.get(data.concertId, data.seatTypeId);
        const seatType = concert?.seatTypes.find((s) => String(s._id) === data.seatTypeId);
        if (!concert || !seatType) {
          await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
          return reject(data, 'not_found');
        }
        const doc: BookingDoc = {
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
          // The decision time inside Redis, so createdAt < startsAt always holds.
          createdAt: outcome.decidedAt,
        };
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
        if (recorded === 'already_recorded') {
          const record = await recorder.find(data.requestId);
          if (record && (record.seatNo !== doc.seatNo || record.status !== 'confirmed')) {
            // Another attempt recorded a different seat: give back the one taken now.
            await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
            return confirmRecorded(data, record);
          }
        }
        if ((await settleRecorded(data, outcome)) === SettleCode.Repaired) {
          logger.warn({ requestId: data.requestId }, 'hold restored after a rebuild raced this booking');
        }
        return confirm(data, doc, concert);
      }
      return reject(data, 'service_unavailable');
    },

    /**
     * The last try failed (MongoDB down for longer than the retries): if the
     * record has the booking, confirm it; otherwise give the seat back and say no.
     * Throws RecordUnreadableError, deciding nothing, while the record cannot be read.
     */
    async giveUp(data: ReserveJobData, findRecorded: () => Promise<BookingDoc | null>): Promise<Decision> {
      let recorded: BookingDoc | null;
      try {
        recorded = await findRecorded();
      } catch (err) {
        // A write whose reply was lost may have landed: "no" could contradict the record.
        throw new RecordUnreadableError(`the record of request ${data.requestId} cannot be read: ${(err as Error).message}`);
      }
      if (recorded) return answer(data, { requestId: data.requestId, status: 'confirmed', booking: toPublicBooking(recorded) });
      await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
      return reject(data, 'service_unavailable');
    },
  };
}

export type BookingDecider = ReturnType<typeof createBookingDecider>;

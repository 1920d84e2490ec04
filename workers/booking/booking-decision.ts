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

  return {
    async decide(data: ReserveJobData): Promise<Decision> {
      for (let conflicts = 0; conflicts <= MAX_SEAT_CONFLICTS; ) {
        const outcome = await inventory.reserve(data.concertId, data.seatTypeId, data.userId, data.requestId);
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
        if ((await inventory.settle(data.concertId, data.userId, data.requestId, outcome)) === SettleCode.Repaired) {
          logger.warn({ requestId: data.requestId }, 'hold restored after a rebuild raced this booking');
        }
        const booking = toPublicBooking(doc);
        await enqueueBookingNotification(deps.notifications, NOTIFICATION_JOBS.bookingConfirmed, {
          bookingId: booking.id,
          userId: data.userId,
          userEmail: data.userEmail,
          concertId: data.concertId,
          concertName: concert.name,
          venue: concert.venue,
          startsAt: concert.startsAt.toISOString(),
          seatTypeId: data.seatTypeId,
          seatTypeName: seatType.name,
          price: seatType.price,
          occurredAt: booking.createdAt,
        });
        return answer(data, { requestId: data.requestId, status: 'confirmed', booking });
      }
      return reject(data, 'service_unavailable');
    },

    /**
     * The last try failed (MongoDB down for longer than the retries): if the
     * record has the booking, confirm it; otherwise give the seat back and say no.
     */
    async giveUp(data: ReserveJobData, findRecorded: () => Promise<BookingDoc | null>): Promise<Decision> {
      const recorded = await findRecorded().catch(() => null);
      if (recorded) return answer(data, { requestId: data.requestId, status: 'confirmed', booking: toPublicBooking(recorded) });
      await inventory.release(data.concertId, data.seatTypeId, data.userId, data.requestId);
      return reject(data, 'service_unavailable');
    },
  };
}

export type BookingDecider = ReturnType<typeof createBookingDecider>;

import type { Queue } from 'bullmq';
import { trusted } from 'mongoose';
import type { Logger } from '../../../lib/logger.js';
import { notificationJobOptions } from '../../../lib/notification-jobs.js';
import { NOTIFICATION_JOBS, notificationJobId, type OfferNotificationData } from '../../../lib/queues.js';
import type { BookingModel } from '../../../lib/records/booking.record.js';
import type { ConcertCache } from '../../../lib/records/concert-cache.js';
import { DEFAULT_CURRENCY, type ConcertDoc } from '../../../lib/records/concert.record.js';
import type { OfferStatus, WaitingListRecords } from '../../../lib/records/waiting-list.record.js';
import type { OpenOffer, WaitingList } from '../../../lib/waiting-list/waiting-list.js';
import type { WaitingListMetrics } from './waiting-list.metrics.js';
import type { PublicOffer } from './waiting-list.schemas.js';

export const WAITING_LIST_EVENTS = { update: 'waiting-list:update', offer: 'waiting-list:offer' } as const;

/** Sends a Socket.IO event to one fan's private room (on whichever node the fan is connected to). */
export type FanEmitter = (userId: string, event: string, payload: unknown) => void;

export interface OfferAnnouncerDeps {
  lists: Pick<WaitingList, 'openOffers'>;
  records: WaitingListRecords;
  bookings: BookingModel;
  concerts: ConcertCache;
  notifications: Pick<Queue, 'add'>;
  emit: FanEmitter;
  metrics: WaitingListMetrics;
  logger: Logger;
}

export const publicOffer = (offer: OpenOffer, concertId: string, concert: ConcertDoc | null): PublicOffer => {
  const seatType = concert?.seatTypes.find((s) => String(s._id) === offer.seatTypeId);
  return {
    offerId: offer.offerId,
    concertId,
    seatTypeId: offer.seatTypeId,
    seatTypeName: seatType?.name ?? '',
    price: seatType?.price ?? 0,
    expiresAt: offer.expiresAt.toISOString(),
  };
};

/** The offer's id as a token for job ids and email keys ("." is not one of their characters). */
export const offerToken = (offerId: string) => `offer-${offerId.replace('.', '-')}`;

/**
 * Makes the record and the fans agree with the offers Redis made. Offers are made by
 * the Lua scripts that free seats (a cancel, a decline, an expiry, added capacity), so
 * the record learns of them after: each one Redis has and the record lacks is inserted
 * (the insert decides, once, who tells the fan: Socket.IO and a simulated email); each
 * one the record has open and Redis does not is closed there (accepted when its fan has
 * booked since, expired when past its time, else declined). Reads the record before
 * Redis, so an offer made in between is seen in Redis and an offer closed in between
 * is seen closed: nothing is closed that is still open. Only from keys this Redis run
 * loaded: a promoted replica's may lack open offers (open-offers-2.lua). Idempotent;
 * calls for one concert are coalesced.
 */
export function createOfferAnnouncer(deps: OfferAnnouncerDeps) {
  const { records, logger } = deps;
  const running = new Map<string, { again: boolean; done: Promise<void> }>();

  async function announce(concertId: string, offer: OpenOffer, concert: ConcertDoc | null) {
    const view = publicOffer(offer, concertId, concert);
    deps.emit(offer.userId, WAITING_LIST_EVENTS.offer, view);
    const entry = await records.entries.findOne({ concertId, userId: offer.userId }, { userEmail: 1 }).lean();
    if (!entry || !concert) return;
    const token = offerToken(offer.offerId);
    const data: OfferNotificationData = {
      bookingId: token,
      userId: offer.userId,
      userEmail: entry.userEmail,
      concertId,
      concertName: concert.name,
      venue: concert.venue,
      startsAt: concert.startsAt.toISOString(),
      seatTypeId: offer.seatTypeId,
      seatTypeName: view.seatTypeName,
      price: view.price,
      currency: concert.currency ?? DEFAULT_CURRENCY,
      occurredAt: offer.createdAt.toISOString(),
      expiresAt: view.expiresAt,
    };
    await deps.notifications.add(NOTIFICATION_JOBS.waitingListOffer, data, {
      ...notificationJobOptions,
      jobId: notificationJobId(NOTIFICATION_JOBS.waitingListOffer, token),
    });
  }

  async function outcomeOf(offer: { concertId: string; userId: string; createdAt: Date; expiresAt: Date }): Promise<Exclude<OfferStatus, 'open'>> {
    const booked = await deps.bookings.exists({
      concertId: offer.concertId,
      userId: offer.userId,
      status: trusted({ $in: ['confirmed', 'cancelled'] }),
      createdAt: trusted({ $gte: offer.createdAt }),
    });
    if (booked) return 'accepted';
    return offer.expiresAt.getTime() <= Date.now() ? 'expired' : 'declined';
  }

  async function syncOnce(concertId: string) {
    const recordedOpen = await records.offers.find({ concertId, status: 'open' }).lean();
    const inRedis = await deps.lists.openOffers(concertId);
    // Keys not loaded, or loaded by another Redis run (a failover): they may lack open offers. The rebuild comes first.
    if (!inRedis) return;
    const recordedIds = new Set(recordedOpen.map((o) => o._id));
    const redisIds = new Set(inRedis.map((o) => o.offerId));
    const concert = await deps.concerts.get(concertId);

    for (const offer of inRedis.filter((o) => !recordedIds.has(o.offerId))) {
      const doc = { _id: offer.offerId, concertId, userId: offer.userId, seatTypeId: offer.seatTypeId, seatNo: offer.seatNo };
      const inserted = await records.offers.collection
        .insertOne({ ...doc, createdAt: offer.createdAt, expiresAt: offer.expiresAt, status: 'open' } as never)
        .then(() => true)
        .catch((err: { code?: number }) => {
          if (err.code === 11000) return false;
          throw err;
        });
      if (!inserted) continue;
      deps.metrics.offer('made');
      await announce(concertId, offer, concert);
    }

    for (const offer of recordedOpen.filter((o) => !redisIds.has(o._id))) {
      const status = await outcomeOf(offer);
      const closed = await records.offers.updateOne({ _id: offer._id, status: 'open' }, { $set: { status, closedAt: new Date() } });
      if (closed.modifiedCount !== 1) continue;
      deps.metrics.offer(status);
      deps.emit(offer.userId, WAITING_LIST_EVENTS.update, { concertId, status: 'closed', offerId: offer._id, outcome: status });
    }
  }

  return {
    /** Brings the record and the fans up to date with Redis's offers of one concert. */
    sync(concertId: string): Promise<void> {
      const current = running.get(concertId);
      if (current) {
        current.again = true;
        return current.done;
      }
      const state = { again: false, done: Promise.resolve() };
      state.done = (async () => {
        try {
          do {
            state.again = false;
            await syncOnce(concertId);
          } while (state.again);
        } finally {
          running.delete(concertId);
        }
      })();
      running.set(concertId, state);
      return state.done;
    },
    /** Fire and forget (after a cancel): failures are the ticker's to repair. */
    soon(concertId: string) {
      this.sync(concertId).catch((err: Error) => logger.warn({ err: err.message, concertId }, 'waiting-list offers not announced yet; the ticker will'));
    },
  };
}

export type OfferAnnouncer = ReturnType<typeof createOfferAnnouncer>;

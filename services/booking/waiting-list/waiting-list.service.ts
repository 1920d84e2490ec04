import type { Redis } from 'ioredis';
import { AppError, type ErrorCode } from '../../../lib/errors.js';
import type { Inventory } from '../../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../../lib/logger.js';
import type { ConcertCache } from '../../../lib/records/concert-cache.js';
import type { ConcertDoc } from '../../../lib/records/concert.record.js';
import type { WaitingListRecords } from '../../../lib/records/waiting-list.record.js';
import type { AuthenticatedUser } from '../../../lib/request-context.js';
import { DeclineCode, JoinCode, LeaveCode, OFFER_ID_PATTERN } from '../../../lib/waiting-list/waiting-list-codes.js';
import { ANY_SEAT_TYPE, WAITING_LIST_CONCERTS_KEY } from '../../../lib/waiting-list/waiting-list-keys.js';
import type { ListEntry, WaitingList } from '../../../lib/waiting-list/waiting-list.js';
import { publicOffer, type OfferAnnouncer } from './offer-announcer.js';
import type { WaitingListMetrics } from './waiting-list.metrics.js';
import type { WaitingListStatus } from './waiting-list.schemas.js';

export interface WaitingListServiceDeps {
  redis: Redis;
  lists: WaitingList;
  records: WaitingListRecords;
  inventory: Pick<Inventory, 'remaining'>;
  loader: Pick<InventoryLoader, 'ensureLoaded'>;
  concerts: ConcertCache;
  announcer: Pick<OfferAnnouncer, 'sync'>;
  metrics: WaitingListMetrics;
  logger: Logger;
}

const JOIN_REFUSALS: Partial<Record<JoinCode, ErrorCode>> = {
  [JoinCode.ConcertStarted]: 'concert_started',
  [JoinCode.AlreadyBooked]: 'already_booked',
  [JoinCode.SeatsAvailable]: 'seats_available',
  [JoinCode.UnknownSeatType]: 'not_found',
  [JoinCode.OtherChoice]: 'waiting_for_other_choice',
};
const isObjectId = (id: string) => /^[a-f0-9]{24}$/i.test(id);

/** The lines a fan's place is counted in: fans ahead in any of them could take the seat first. */
export const linesAhead = (choice: string, concert: ConcertDoc) =>
  choice === ANY_SEAT_TYPE ? [ANY_SEAT_TYPE, ...concert.seatTypes.map((s) => String(s._id))] : [choice, ANY_SEAT_TYPE];

/**
 * Joining, reading, leaving a concert's waiting list and declining an offer (issue 16).
 * Redis decides (the join script keeps a fan's place; the scripts that free seats make
 * the offers); the record is written after each decision, and a rebuild of Redis reads
 * it (lib/waiting-list/waiting-list-rebuild.ts).
 */
export function createWaitingListService(deps: WaitingListServiceDeps) {
  const { lists, records, concerts } = deps;

  async function concertOf(concertId: string): Promise<ConcertDoc> {
    const concert = isObjectId(concertId) ? await concerts.get(concertId.toLowerCase()) : null;
    if (!concert) throw new AppError('not_found', 'No such concert');
    return concert;
  }

  /** Runs a Redis step, rebuilding the concert's keys from the record first when they are missing or stale. */
  async function loaded<T extends { code: number }>(concertId: string, step: () => Promise<T>): Promise<T> {
    let outcome = await step();
    for (let tries = 0; outcome.code === -1 && tries < 3; tries++) {
      await deps.loader.ensureLoaded(concertId);
      outcome = await step();
    }
    if (outcome.code === -1) throw new AppError('service_unavailable', 'The waiting list is being rebuilt; try again shortly');
    return outcome;
  }

  async function statusOf(concert: ConcertDoc, userId: string, entry: ListEntry): Promise<WaitingListStatus> {
    const concertId = String(concert._id);
    const base = { concertId, seatTypeId: entry.choice === ANY_SEAT_TYPE ? null : entry.choice };
    if (entry.offerId) {
      const offer = await lists.offer(concertId, entry.offerId);
      if (offer && offer.userId === userId) return { ...base, status: 'offered', position: 0, ahead: 0, offer: publicOffer(offer, concertId, concert) };
    }
    const ahead = await lists.aheadOf(concertId, linesAhead(entry.choice, concert), entry.seq);
    return { ...base, status: 'waiting', position: ahead + 1, ahead };
  }

  /** The fan's entry, with the concert's keys rebuilt first if Redis lost them. */
  async function entryOf(concertId: string, userId: string) {
    await deps.loader.ensureLoaded(concertId);
    return lists.entry(concertId, userId);
  }

  return {
    async join(user: AuthenticatedUser, concertIdParam: string, seatTypeId: string | undefined): Promise<WaitingListStatus> {
      const concert = await concertOf(concertIdParam);
      const concertId = String(concert._id);
      if (seatTypeId && !concert.seatTypes.some((s) => String(s._id) === seatTypeId)) throw new AppError('not_found', 'No such seat type for this concert');
      const choice = seatTypeId ?? ANY_SEAT_TYPE;
      if (choice === ANY_SEAT_TYPE) {
        // "Any" is for a concert with nothing left: a free seat of some type should be booked instead.
        await deps.loader.ensureLoaded(concertId);
        const remaining = await deps.inventory.remaining(
          concertId,
          concert.seatTypes.map((s) => String(s._id)),
        );
        if ([...(remaining?.values() ?? [])].some((n) => n > 0)) throw new AppError('seats_available');
      }
      const joined = await loaded(concertId, () => lists.join(concertId, user.id, choice));
      const refusal = JOIN_REFUSALS[joined.code];
      if (refusal) throw new AppError(refusal);
      if (joined.code === JoinCode.Joined || joined.code === JoinCode.AlreadyWaiting) {
        const recorded = await records.entries.findOne({ concertId, userId: user.id }, { status: 1, seq: 1 }).lean();
        if (recorded?.status !== 'waiting' || recorded.seq !== joined.seq) {
          await records.entries.updateOne(
            { concertId, userId: user.id },
            { $set: { userEmail: user.email, choice, seq: joined.seq, joinedAt: joined.joinedAt, status: 'waiting' } },
            { upsert: true },
          );
          // A rebuild between the join and this write could not see the fan: put the place back.
          if ((await lists.epoch(concertId)) !== joined.epoch)
            await loaded(concertId, () => lists.join(concertId, user.id, choice, { restoreSeq: joined.seq }));
        }
        await deps.redis.zadd(WAITING_LIST_CONCERTS_KEY, 'NX', Date.now(), concertId);
      }
      const entry = await lists.entry(concertId, user.id);
      if (!entry) throw new AppError('not_on_waiting_list');
      return statusOf(concert, user.id, entry);
    },

    async status(user: AuthenticatedUser, concertIdParam: string): Promise<WaitingListStatus> {
      const concert = await concertOf(concertIdParam);
      const entry = await entryOf(String(concert._id), user.id);
      if (!entry) throw new AppError('not_on_waiting_list');
      return statusOf(concert, user.id, entry);
    },

    /** Leaves the list; with an open offer, that is declining it (the seat passes on). */
    async leave(user: AuthenticatedUser, concertIdParam: string): Promise<void> {
      const concert = await concertOf(concertIdParam);
      const concertId = String(concert._id);
      for (let tries = 0; tries < 3; tries++) {
        const entry = await entryOf(concertId, user.id);
        if (!entry) throw new AppError('not_on_waiting_list');
        if (entry.offerId) return this.decline(user, concertId, entry.offerId);
        const code = await lists.leave(concertId, user.id, entry.choice);
        if (code === LeaveCode.NotWaiting) throw new AppError('not_on_waiting_list');
        if (code === LeaveCode.Left) {
          await records.entries.updateOne({ concertId, userId: user.id, status: 'waiting' }, { $set: { status: 'left' } });
          return;
        }
      }
      throw new AppError('service_unavailable', 'Your place changed while leaving; try again');
    },

    async decline(user: AuthenticatedUser, concertIdParam: string, offerId: string): Promise<void> {
      const concert = await concertOf(concertIdParam);
      const concertId = String(concert._id);
      if (!OFFER_ID_PATTERN.test(offerId)) throw new AppError('not_found', 'No such offer');
      await deps.loader.ensureLoaded(concertId);
      const offer = await lists.offer(concertId, offerId);
      // Another fan's offer answers like none (offer ids are not secrets).
      if (!offer || offer.userId !== user.id) throw new AppError('not_found', 'No open offer of this id for you');
      // Recorded first (a quick decline could beat the announcer), so the record closes what it holds.
      await deps.announcer.sync(concertId);
      const declined = await loaded(concertId, () => lists.decline(concertId, user.id, offer));
      if (declined.code !== DeclineCode.Declined) throw new AppError('not_found', 'No open offer of this id for you');
      const closed = await records.offers.updateOne({ _id: offerId, status: 'open' }, { $set: { status: 'declined', closedAt: new Date() } });
      if (closed.modifiedCount === 1) deps.metrics.offer('declined');
      await records.entries.updateOne({ concertId, userId: user.id, status: 'waiting' }, { $set: { status: 'left' } });
      // The seat went to the next fan: tell them now rather than at the next tick.
      await deps.announcer
        .sync(concertId)
        .catch((err: Error) => deps.logger.warn({ err: err.message, concertId }, 'next offer not announced yet; the ticker will'));
    },
  };
}

export type WaitingListService = ReturnType<typeof createWaitingListService>;

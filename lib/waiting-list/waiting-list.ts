import type { Redis } from 'ioredis';
import { concertKeys } from '../inventory/inventory-keys.js';
import type { ReserveCode } from '../inventory/inventory-codes.js';
import type { ReserveOutcome } from '../inventory/inventory.js';
import { defineLuaCommands, KERNEL_LUA_DIR } from '../lua-scripts.js';
import { AddSeatsCode, DeclineCode, JoinCode, LeaveCode, offerNonce } from './waiting-list-codes.js';
import { ANY_SEAT_TYPE, seatGivingKeys, waitingListKeys } from './waiting-list-keys.js';

const SCRIPTS = [
  'join-waiting-list-6.lua',
  'leave-waiting-list-3.lua',
  'decline-offer-9.lua',
  'reserve-offered-seat-9.lua',
  'tend-waiting-list-9.lua',
  'add-seats-9.lua',
  'open-offers-2.lua',
];

type Args = Array<string | number>;
interface WaitingListCommands {
  joinWaitingList(...a: Args): Promise<[number, number, string, string, number]>;
  leaveWaitingList(...a: Args): Promise<number>;
  declineOffer(...a: Args): Promise<[number, string]>;
  reserveOfferedSeat(...a: Args): Promise<[number, number, number, string, string]>;
  tendWaitingList(...a: Args): Promise<[number, number, number, number]>;
  addSeats(...a: Args): Promise<[number, number]>;
  openOffers(...a: Args): Promise<[number, ...string[]]>;
}

/** A fan's place: what they wait for, their join number, and their open offer if any. */
export interface ListEntry {
  choice: string;
  seq: number;
  offerId?: string;
}

export interface OpenOffer {
  offerId: string;
  userId: string;
  seatTypeId: string;
  seatNo: number;
  expiresAt: Date;
  createdAt: Date;
}

function parseEntry(raw: string | null): ListEntry | null {
  if (!raw) return null;
  const [choice, seq, offerId] = raw.split('|');
  return { choice, seq: Number(seq), ...(offerId ? { offerId } : {}) };
}

function parseOffer(offerId: string, raw: string | null): OpenOffer | null {
  if (!raw) return null;
  const [userId, seatTypeId, seatNo, expiresAtMs, createdAtMs] = raw.split('|');
  return { offerId, userId, seatTypeId, seatNo: Number(seatNo), expiresAt: new Date(Number(expiresAtMs)), createdAt: new Date(Number(createdAtMs)) };
}

/**
 * Typed access to the waiting-list scripts on one Redis connection (the kernel side of
 * issue 16; the service is services/booking/waiting-list/). Every script that frees or
 * adds a seat gives it to the list first in the same atomic step (lua/includes/give-seat):
 * release-seat-9 (a cancel), decline-offer-9, tend-waiting-list-9 (expiry, cut-off), add-seats-9.
 */
export function createWaitingList(redis: Redis) {
  defineLuaCommands(redis, KERNEL_LUA_DIR, SCRIPTS);
  const lua = redis as unknown as WaitingListCommands;

  return {
    async join(concertId: string, userId: string, choice: string, opts: { restoreSeq?: number } = {}) {
      const k = concertKeys(concertId);
      const w = waitingListKeys(concertId);
      const forAny = choice === ANY_SEAT_TYPE;
      const [code, seq, offerId, epoch, nowMs] = await lua.joinWaitingList(
        k.meta,
        k.holders,
        k.freeSeats(forAny ? ANY_SEAT_TYPE : choice),
        w.fans,
        w.line(choice),
        w.stats,
        userId,
        choice,
        opts.restoreSeq === undefined ? '' : String(opts.restoreSeq),
        forAny ? '0' : '1',
      );
      return { code: code as JoinCode, seq, offerId: offerId || undefined, epoch, joinedAt: new Date(nowMs) };
    },

    async leave(concertId: string, userId: string, choice: string): Promise<LeaveCode> {
      const w = waitingListKeys(concertId);
      return lua.leaveWaitingList(w.fans, w.line(choice), w.stats, userId, choice);
    },

    async decline(concertId: string, userId: string, offer: Pick<OpenOffer, 'offerId' | 'seatTypeId'>) {
      const [code, nextOfferId] = await lua.declineOffer(...seatGivingKeys(concertId, offer.seatTypeId), userId, offer.offerId, offer.seatTypeId, offerNonce());
      return { code: code as DeclineCode, nextOfferId: nextOfferId || undefined };
    },

    /** The accept: decides a booking request carrying an offer (same outcome as inventory.reserve). */
    async reserveOffered(concertId: string, seatTypeId: string, userId: string, requestId: string, offerId: string): Promise<ReserveOutcome> {
      const [code, seatNo, decidedAtMs, heldSeatTypeId, epoch] = await lua.reserveOfferedSeat(
        ...seatGivingKeys(concertId, seatTypeId),
        userId,
        requestId,
        seatTypeId,
        offerId,
        offerNonce(),
      );
      return { code: code as ReserveCode, seatNo, decidedAt: new Date(decidedAtMs), seatTypeId: heldSeatTypeId || seatTypeId, epoch };
    },

    /** One tick of one seat type: expiries, offers of fans who booked, free seats to waiting fans, the cut-off. */
    async tend(concertId: string, seatTypeId: string, maxPerCall = 500) {
      const [code, expired, passedOn, offered] = await lua.tendWaitingList(...seatGivingKeys(concertId, seatTypeId), seatTypeId, offerNonce(), maxPerCall);
      return { loaded: code === 1, expired, passedOn, offered };
    },

    /**
     * For operators adding capacity (the admin console): seats `from+1..to` of a seat type
     * are added and each is offered to the waiting list first, atomically, the rest freed.
     * Write the new capacity to the concert's record first (a rebuild reads it there), then
     * call this with the capacity Redis had; a repeat is a no-op (Unchanged). NotLoaded:
     * nothing to do, the next rebuild reads the record.
     */
    async addSeats(concertId: string, seatTypeId: string, fromCapacity: number, toCapacity: number) {
      const [code, offered] = await lua.addSeats(...seatGivingKeys(concertId, seatTypeId), seatTypeId, fromCapacity, toCapacity, offerNonce());
      return { code: code as AddSeatsCode, offered };
    },

    async entry(concertId: string, userId: string): Promise<ListEntry | null> {
      return parseEntry(await redis.hget(waitingListKeys(concertId).fans, userId));
    },

    async offer(concertId: string, offerId: string): Promise<OpenOffer | null> {
      return parseOffer(offerId, await redis.hget(waitingListKeys(concertId).offers, offerId));
    },

    /** The open offers; undefined when the keys are not loaded, or stale (open-offers-2.lua). */
    async openOffers(concertId: string): Promise<OpenOffer[] | undefined> {
      const [code, ...flat] = await lua.openOffers(concertKeys(concertId).meta, waitingListKeys(concertId).offers);
      if (code !== 1) return undefined;
      const offers: OpenOffer[] = [];
      for (let i = 0; i < flat.length; i += 2) offers.push(parseOffer(flat[i], flat[i + 1])!);
      return offers;
    },

    /** How many wait ahead of join number `seq` in each line (one round trip). */
    async aheadOf(concertId: string, lines: string[], seq: number): Promise<number> {
      const w = waitingListKeys(concertId);
      const pipeline = redis.pipeline();
      for (const line of lines) pipeline.zcount(w.line(line), '-inf', `(${seq}`);
      return ((await pipeline.exec()) ?? []).reduce((sum, [err, n]) => sum + (err ? 0 : Number(n)), 0);
    },

    /** Every line of the concert with its fans in order, and the change counter (for pushes and metrics). */
    async snapshot(concertId: string, choices: string[]) {
      const w = waitingListKeys(concertId);
      const pipeline = redis.pipeline().hget(w.stats, 'version').hgetall(w.fans);
      for (const choice of choices) pipeline.zrange(w.line(choice), 0, -1, 'WITHSCORES');
      const [version, fans, ...lines] = ((await pipeline.exec()) ?? []).map(([, v]) => v);
      const byChoice = new Map<string, Array<{ userId: string; seq: number }>>();
      choices.forEach((choice, i) => {
        const flat = (lines[i] as string[] | null) ?? [];
        const fansInLine: Array<{ userId: string; seq: number }> = [];
        for (let j = 0; j < flat.length; j += 2) fansInLine.push({ userId: flat[j], seq: Number(flat[j + 1]) });
        byChoice.set(choice, fansInLine);
      });
      const entries = new Map(Object.entries((fans as Record<string, string> | null) ?? {}).map(([userId, raw]) => [userId, parseEntry(raw)!]));
      return { version: typeof version === 'string' ? version : '', lines: byChoice, entries };
    },

    async epoch(concertId: string): Promise<string | null> {
      return redis.hget(concertKeys(concertId).meta, 'epoch');
    },
  };
}

export type WaitingList = ReturnType<typeof createWaitingList>;

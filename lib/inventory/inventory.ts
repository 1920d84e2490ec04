import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineLuaCommands, KERNEL_LUA_DIR } from '../lua-scripts.js';
import { unwatch } from '../redis.js';
import { AbortCancelCode, BeginCancelCode, OperatorCode, ReleaseCode, ReserveCode, SettleCode } from './inventory-codes.js';
import { concertKeys } from './inventory-keys.js';
import { offerNonce } from '../waiting-list/waiting-list-codes.js';
import { offeredSeatNos, writeWaitingList, type WaitingListSnapshot } from '../waiting-list/waiting-list-load.js';
import { seatGivingKeys } from '../waiting-list/waiting-list-keys.js';

const CUT_OFFS = new Set<number>([ReserveCode.SalesClosed, ReserveCode.SeatTypeClosed]);
/** Long enough for the record update; short enough that a cancel that died can be retried soon. */
const CANCEL_LEASE_MS = 15_000;
/** Run by a load too, in its MULTI (see loadInto). */
const TEND_WAITING_LIST = 'tend-waiting-list-9.lua';
type TendInMulti = { tendWaitingList(...keysAndArgs: Array<string | number>): unknown };
const SCRIPTS = [
  'reserve-seat-3.lua',
  'settle-hold-3.lua',
  'begin-cancel-3.lua',
  'release-seat-9.lua',
  'abort-cancel-3.lua',
  'server-run-id-1.lua',
  'peek-bookable-3.lua',
  'close-seat-type-1.lua',
  'close-sales-1.lua',
  'move-start-2.lua',
  'set-offer-ttl-1.lua',
  'is-loaded-1.lua',
];

interface InventoryCommands {
  reserveSeat(
    meta: string,
    holders: string,
    freeSeats: string,
    userId: string,
    requestId: string,
    seatTypeId: string,
  ): Promise<[number, number, number, string, string]>;
  settleHold(
    meta: string,
    holders: string,
    freeSeats: string,
    userId: string,
    requestId: string,
    seatTypeId: string,
    seatNo: number,
    decidedAtMs: number,
    epoch: string,
  ): Promise<number>;
  beginCancel(meta: string, holders: string, lease: string, userId: string, bookingId: string, leaseMs: number): Promise<[number, number]>;
  releaseSeat(...keysAndArgs: [...string[]]): Promise<number>;
  abortCancel(meta: string, holders: string, lease: string, userId: string, bookingId: string): Promise<number>;
  serverRunId(meta: string): Promise<string>;
  peekBookable(meta: string, holders: string, freeSeats: string, userId: string, seatTypeId: string): Promise<[number, number, number, number, number, number]>;
  closeSeatType(meta: string, seatTypeId: string): Promise<number>;
  closeSales(meta: string): Promise<[number, number]>;
  moveStart(meta: string, holders: string, startsAtMs: number): Promise<number>;
  setOfferTtl(meta: string, offerTtlMs: number): Promise<number>;
  isLoaded(meta: string): Promise<number>;
}

/** What peek-bookable-3.lua sees; `started` by Redis's clock. Meaningful only when `loaded`. */
export interface BookablePeek {
  loaded: boolean;
  started: boolean;
  holds: boolean;
  remaining: number;
  now: Date;
  /** An operator's cut-off in force (reserve-seat-3 would refuse with it). */
  cutOff?: ReserveCode.SalesClosed | ReserveCode.SeatTypeClosed;
}

export interface ReserveOutcome {
  code: ReserveCode;
  seatNo: number;
  decidedAt: Date;
  /** For AlreadyReservedHere: the seat type of the earlier reservation. */
  seatTypeId: string;
  /** Which load of the concert's keys the decision was made in. */
  epoch: string;
}

export interface InventorySeatType {
  id: string;
  capacity: number;
  /** Closed by an operator: refused from then on. */
  closed?: boolean;
}

export interface InventorySnapshot {
  concertId: string;
  startsAt: Date;
  /** Sales closed by an operator at this instant (Redis's clock when it happened). */
  salesClosedAt?: Date;
  seatTypes: InventorySeatType[];
  /** Seats held by confirmed bookings in the record. */
  held: Array<{ bookingId: string; userId: string; seatTypeId: string; seatNo: number; createdAt: Date }>;
  /** The waiting list and its open offers, as the record says (their seats are on no free list). */
  waitingList?: WaitingListSnapshot;
}

/** Typed access to one Redis connection's inventory scripts. */
export function createInventory(redis: Redis) {
  defineLuaCommands(redis, KERNEL_LUA_DIR, SCRIPTS);
  const lua = redis as unknown as InventoryCommands;
  // WATCH belongs to a connection: loads get their own, one at a time.
  let loaderConnection: Redis | undefined;
  let loadQueue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: (conn: Redis) => Promise<T>): Promise<T> => {
    if (!loaderConnection) {
      loaderConnection = redis.duplicate({ enableAutoPipelining: false }).on('error', () => undefined);
      defineLuaCommands(loaderConnection, KERNEL_LUA_DIR, [TEND_WAITING_LIST]);
    }
    const run = loadQueue.then(() => work(loaderConnection!));
    loadQueue = run.catch(() => undefined);
    return run;
  };

  return {
    async reserve(concertId: string, seatTypeId: string, userId: string, requestId: string): Promise<ReserveOutcome> {
      const k = concertKeys(concertId);
      const [code, seatNo, decidedAtMs, heldSeatTypeId, epoch] = await lua.reserveSeat(
        k.meta,
        k.holders,
        k.freeSeats(seatTypeId),
        userId,
        requestId,
        seatTypeId,
      );
      return { code, seatNo, decidedAt: new Date(decidedAtMs), seatTypeId: heldSeatTypeId || seatTypeId, epoch };
    },

    /** After recording: repairs the hold if the keys were rebuilt since the reservation (see settle-hold-3.lua). */
    async settle(concertId: string, userId: string, requestId: string, reservation: ReserveOutcome): Promise<SettleCode> {
      const k = concertKeys(concertId);
      return lua.settleHold(
        k.meta,
        k.holders,
        k.freeSeats(reservation.seatTypeId),
        userId,
        requestId,
        reservation.seatTypeId,
        reservation.seatNo,
        reservation.decidedAt.getTime(),
        reservation.epoch,
      );
    },

    async beginCancel(concertId: string, userId: string, bookingId: string): Promise<{ code: BeginCancelCode; decidedAt: Date }> {
      const k = concertKeys(concertId);
      const [code, decidedAtMs] = await lua.beginCancel(k.meta, k.holders, k.cancelLease(bookingId), userId, bookingId, CANCEL_LEASE_MS);
      return { code, decidedAt: new Date(decidedAtMs) };
    },

    async release(
      concertId: string,
      seatTypeId: string,
      userId: string,
      requestId: string,
      opts: { returnSeat: boolean } = { returnSeat: true },
    ): Promise<ReleaseCode> {
      // The seat goes to the waiting list first (release-seat-9.lua): the offer is made in this same step.
      const code: ReleaseCode = await lua.releaseSeat(...seatGivingKeys(concertId, seatTypeId), userId, requestId, opts.returnSeat ? '1' : '0', offerNonce());
      // A finished cancel drops its lease (held under the booking id) rather than leaving it to lapse
      // CANCEL_LEASE_MS later; no lease for a released reservation makes this a no-op.
      if (code === ReleaseCode.Released) await redis.del(concertKeys(concertId).cancelLease(requestId));
      return code;
    },

    async abortCancel(concertId: string, userId: string, bookingId: string): Promise<AbortCancelCode> {
      const k = concertKeys(concertId);
      return lua.abortCancel(k.meta, k.holders, k.cancelLease(bookingId), userId, bookingId);
    },

    /** Loaded by this run of the Redis server (is-loaded-1.lua): keys from another run are stale. */
    async isLoaded(concertId: string): Promise<boolean> {
      return (await lua.isLoaded(concertKeys(concertId).meta)) === 1;
    },

    /** Remaining seats per seat type, or undefined when the concert is not loaded. */
    async remaining(concertId: string, seatTypeIds: string[]): Promise<Map<string, number> | undefined> {
      const k = concertKeys(concertId);
      const pipeline = redis.pipeline().hget(k.meta, 'loaded');
      for (const id of seatTypeIds) pipeline.llen(k.freeSeats(id));
      const results = (await pipeline.exec()) ?? [];
      if (results[0]?.[1] !== '1') return undefined;
      return new Map(seatTypeIds.map((id, i) => [id, Number(results[i + 1]?.[1] ?? 0)]));
    },

    /** Is this fan holding a seat, and is this seat type empty? For the cheap fast-fail before queueing. */
    async peek(concertId: string, seatTypeId: string, userId: string): Promise<BookablePeek> {
      const k = concertKeys(concertId);
      const [loaded, started, holds, remaining, nowMs, cutOffCode] = await lua.peekBookable(k.meta, k.holders, k.freeSeats(seatTypeId), userId, seatTypeId);
      return {
        loaded: loaded === 1,
        started: started === 1,
        holds: holds === 1,
        remaining,
        now: new Date(nowMs),
        ...(CUT_OFFS.has(cutOffCode) ? { cutOff: cutOffCode as NonNullable<BookablePeek['cutOff']> } : {}),
      };
    },

    /*
     * The operator's changes. Each caller holds the concert's rebuild lock (inventory-loader's
     * withRebuildLock), so no load from an older snapshot of the record lands after them.
     */

    /** The capacity of a seat type Redis knows, or undefined when the concert is not loaded. */
    async knownCapacity(concertId: string, seatTypeId: string): Promise<number | undefined> {
      const [loaded, capacity] = await redis.hmget(concertKeys(concertId).meta, 'loaded', `capacity:${seatTypeId}`);
      return loaded === '1' && capacity !== null ? Number(capacity) : undefined;
    },

    async closeSeatType(concertId: string, seatTypeId: string): Promise<OperatorCode> {
      return lua.closeSeatType(concertKeys(concertId).meta, seatTypeId);
    },

    /** Closes sales now by Redis's clock; a second close answers the first cut-off. */
    async closeSales(concertId: string): Promise<{ code: OperatorCode; closedAt: Date }> {
      const [code, closedAtMs] = await lua.closeSales(concertKeys(concertId).meta);
      return { code, closedAt: new Date(closedAtMs) };
    },

    /** Moves the start only while no fan holds a seat (see move-start-2.lua). */
    async moveStart(concertId: string, startsAt: Date): Promise<OperatorCode> {
      const k = concertKeys(concertId);
      return lua.moveStart(k.meta, k.holders, startsAt.getTime());
    },

    /** How long offers made from now on hold their seat (set-offer-ttl-1.lua). */
    async setOfferTtl(concertId: string, offerTtlMs: number): Promise<OperatorCode> {
      return lua.setOfferTtl(concertKeys(concertId).meta, offerTtlMs);
    },

    /**
     * Writes a concert's whole inventory from a snapshot of the record, in one
     * MULTI, unless another process completed it first (WATCH on meta).
     * Returns false when someone else's load won.
     */
    load(snapshot: InventorySnapshot, opts: { onlyIfMissing: boolean }): Promise<boolean> {
      // Which run of the Redis server holds the keys: a restart since makes them stale (stale-after-restart.lua).
      return serialized(async (conn) => loadInto(conn, snapshot, opts, await lua.serverRunId(concertKeys(snapshot.concertId).meta)));
    },

    /** Adds a seat type to a loaded concert (a no-op when not loaded: the next rebuild includes it). */
    addSeatType(concertId: string, seatType: InventorySeatType): Promise<void> {
      return serialized((redis) => addSeatTypeInto(redis, concertId, seatType));
    },

    async close() {
      await loaderConnection?.quit();
    },
  };
}

async function loadInto(redis: Redis, snapshot: InventorySnapshot, opts: { onlyIfMissing: boolean }, runId: string): Promise<boolean> {
  const k = concertKeys(snapshot.concertId);
  await redis.watch(k.meta);
  if (opts.onlyIfMissing && (await redis.hget(k.meta, 'loaded')) === '1') {
    await unwatch(redis);
    return false;
  }
  const tx = redis.multi().del(k.meta, k.holders);
  const metaFields: Record<string, string> = { startsAtMs: String(snapshot.startsAt.getTime()), epoch: randomUUID(), runId };
  if (snapshot.salesClosedAt) metaFields.salesClosedAtMs = String(snapshot.salesClosedAt.getTime());
  for (const seatType of snapshot.seatTypes) {
    metaFields[`capacity:${seatType.id}`] = String(seatType.capacity);
    if (seatType.closed) metaFields[`closed:${seatType.id}`] = '1';
    const taken = new Set(snapshot.held.filter((h) => h.seatTypeId === seatType.id).map((h) => h.seatNo));
    for (const seatNo of offeredSeatNos(snapshot.waitingList, seatType.id)) taken.add(seatNo);
    const free: number[] = [];
    for (let seatNo = 1; seatNo <= seatType.capacity; seatNo++) if (!taken.has(seatNo)) free.push(seatNo);
    tx.del(k.freeSeats(seatType.id));
    for (let i = 0; i < free.length; i += 10_000) tx.rpush(k.freeSeats(seatType.id), ...free.slice(i, i + 10_000));
  }
  if (snapshot.held.length) {
    const holds: Record<string, string> = {};
    for (const h of snapshot.held) holds[h.userId] = `${h.bookingId}|${h.seatTypeId}|${h.seatNo}|${h.createdAt.getTime()}`;
    tx.hset(k.holders, holds);
  }
  writeWaitingList(
    tx,
    snapshot.concertId,
    snapshot.seatTypes.map((s) => s.id),
    snapshot.waitingList,
  );
  if (snapshot.waitingList?.offerTtlMs) metaFields.offerTtlMs = String(snapshot.waitingList.offerTtlMs);
  tx.hset(k.meta, metaFields).hset(k.meta, 'loaded', '1');
  // Free seats while fans wait: an offer Redis made and lost before the record learnt of it
  // (a restart, a failover). Offered in the same MULTI, before any booking can take them.
  const waiting = snapshot.waitingList?.waiting.length ?? 0;
  if (waiting > 0) {
    for (const { id } of snapshot.seatTypes) {
      (tx as unknown as TendInMulti).tendWaitingList(...seatGivingKeys(snapshot.concertId, id), id, offerNonce(), waiting);
    }
  }
  const result = await tx.exec();
  return result !== null;
}

async function addSeatTypeInto(redis: Redis, concertId: string, seatType: InventorySeatType): Promise<void> {
  const k = concertKeys(concertId);
  await redis.watch(k.meta);
  if ((await redis.hget(k.meta, 'loaded')) !== '1') {
    await unwatch(redis);
    return;
  }
  const seats = Array.from({ length: seatType.capacity }, (_, i) => i + 1);
  const tx = redis.multi().del(k.freeSeats(seatType.id));
  for (let i = 0; i < seats.length; i += 10_000) tx.rpush(k.freeSeats(seatType.id), ...seats.slice(i, i + 10_000));
  tx.hset(k.meta, `capacity:${seatType.id}`, String(seatType.capacity));
  if ((await tx.exec()) === null) await addSeatTypeInto(redis, concertId, seatType);
}

export type Inventory = ReturnType<typeof createInventory>;

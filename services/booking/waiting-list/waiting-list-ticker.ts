import type { Redis } from 'ioredis';
import type { Inventory } from '../../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../../lib/logger.js';
import type { ConcertCache } from '../../../lib/records/concert-cache.js';
import type { WaitingListRecords } from '../../../lib/records/waiting-list.record.js';
import { createRedisLocks } from '../../../lib/redis-lock.js';
import { ANY_SEAT_TYPE, WAITING_LIST_CONCERTS_KEY } from '../../../lib/waiting-list/waiting-list-keys.js';
import type { WaitingList } from '../../../lib/waiting-list/waiting-list.js';
import { WAITING_LIST_EVENTS, type FanEmitter, type OfferAnnouncer } from './offer-announcer.js';
import { linesAhead } from './waiting-list.service.js';
import type { WaitingListMetrics } from './waiting-list.metrics.js';

const LEADER_KEY = '{waiting-list}:ticker-leader';

export interface WaitingListTickerDeps {
  redis: Redis;
  lists: WaitingList;
  records: WaitingListRecords;
  inventory: Pick<Inventory, 'isLoaded'>;
  loader: Pick<InventoryLoader, 'ensureLoaded'>;
  concerts: ConcertCache;
  announcer: Pick<OfferAnnouncer, 'sync'>;
  emit: FanEmitter;
  metrics: WaitingListMetrics;
  logger: Logger;
}

export interface WaitingListTickerOptions {
  everyMs: number;
  /** How often the concerts with a list are read from the record too (the Redis hint may have been lost). */
  recordEveryMs: number;
}

/** How many of `sorted` (ascending) are below `seq`. */
function countBelow(sorted: number[], seq: number) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What drives the waiting lists in time, one leader at a time (a Redis lease, like the
 * booking reconciler). Every tick, for each concert with a list: expiries and the
 * cut-off (tend-waiting-list-9.lua, by Redis's clock: an offer past its time cannot be
 * accepted whether or not this has run), then the record and the fans brought up to
 * date (offer-announcer), then each waiting fan's place pushed when the list changed.
 * A concert whose keys Redis lost is rebuilt from the record first, list included.
 */
export function createWaitingListTicker(deps: WaitingListTickerDeps, opts: WaitingListTickerOptions) {
  const { redis, lists, logger } = deps;
  const locks = createRedisLocks(redis);
  let leaseToken: string | null = null;
  let nextRecordReadAt = 0;
  const pushedVersion = new Map<string, string>();
  let running: Promise<void> | undefined;
  let stopped = false;

  async function isLeader() {
    const ttlMs = Math.max(opts.everyMs * 5, 2000);
    if (leaseToken && (await locks.renew(LEADER_KEY, leaseToken, ttlMs))) return true;
    if (leaseToken) nextRecordReadAt = 0; // Redis may have lost the hints with the lease.
    leaseToken = await locks.tryAcquire(LEADER_KEY, ttlMs);
    return leaseToken !== null;
  }

  async function concertsWithLists(): Promise<string[]> {
    if (Date.now() >= nextRecordReadAt) {
      const [waiting, offered] = await Promise.all([
        deps.records.entries.distinct('concertId', { status: 'waiting' }),
        deps.records.offers.distinct('concertId', { status: 'open' }),
      ]);
      const ids = [...new Set([...waiting, ...offered].map(String))];
      if (ids.length) await redis.zadd(WAITING_LIST_CONCERTS_KEY, 'NX', ...ids.flatMap((id) => [Date.now(), id]));
      nextRecordReadAt = Date.now() + opts.recordEveryMs;
    }
    return redis.zrange(WAITING_LIST_CONCERTS_KEY, 0, -1);
  }

  async function pushPlaces(concertId: string, seatTypeIds: string[]) {
    const concert = await deps.concerts.get(concertId);
    if (!concert) return { waiting: 0, open: 0, version: '' };
    const choices = [ANY_SEAT_TYPE, ...seatTypeIds];
    const snap = await lists.snapshot(concertId, choices);
    const seqs = new Map(choices.map((c) => [c, (snap.lines.get(c) ?? []).map((f) => f.seq)]));
    const waiting = [...snap.lines.values()].reduce((n, line) => n + line.length, 0);
    const open = [...snap.entries.values()].filter((e) => e.offerId).length;
    if (pushedVersion.get(concertId) === snap.version) return { waiting, open, version: snap.version };
    for (const [userId, entry] of snap.entries) {
      if (entry.offerId) continue;
      const ahead = linesAhead(entry.choice, concert).reduce((n, line) => n + countBelow(seqs.get(line) ?? [], entry.seq), 0);
      deps.emit(userId, WAITING_LIST_EVENTS.update, {
        concertId,
        status: 'waiting',
        seatTypeId: entry.choice === ANY_SEAT_TYPE ? null : entry.choice,
        position: ahead + 1,
        ahead,
      });
    }
    pushedVersion.set(concertId, snap.version);
    return { waiting, open, version: snap.version };
  }

  async function tendConcert(concertId: string) {
    const concert = await deps.concerts.get(concertId);
    if (!concert) {
      await redis.zrem(WAITING_LIST_CONCERTS_KEY, concertId);
      return;
    }
    const seatTypeIds = concert.seatTypes.map((s) => String(s._id));
    if (!(await deps.inventory.isLoaded(concertId))) await deps.loader.ensureLoaded(concertId);
    // Offers made since the last tick (a late accept passed one on) are recorded and told before they can expire.
    await deps.announcer.sync(concertId);
    for (const seatTypeId of seatTypeIds) {
      const tended = await lists.tend(concertId, seatTypeId);
      if (!tended.loaded) await deps.loader.ensureLoaded(concertId);
    }
    await deps.announcer.sync(concertId);
    const { waiting, open } = await pushPlaces(concertId, seatTypeIds);
    deps.metrics.seen(concertId, waiting, open);
    // After the start the tend cleared the lines and expired every offer: nothing more to drive.
    if (concert.startsAt.getTime() < Date.now() - opts.everyMs * 10 && waiting === 0 && open === 0) {
      await redis.zrem(WAITING_LIST_CONCERTS_KEY, concertId);
      deps.metrics.forget(concertId);
      pushedVersion.delete(concertId);
    }
  }

  async function tick() {
    if (!(await isLeader())) return;
    for (const concertId of await concertsWithLists()) {
      await tendConcert(concertId).catch((err: Error) => logger.warn({ err: err.message, concertId }, 'waiting list not tended this tick'));
    }
  }

  const tickSoon = () => {
    if (stopped) return running;
    running ??= tick()
      .catch((err: Error) => {
        nextRecordReadAt = 0;
        logger.warn({ err: err.message }, 'waiting-list tick failed; next one in a moment');
      })
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void tickSoon(), opts.everyMs);
  timer.unref();
  // Back after a drop: the hints may be gone with the data.
  redis.on('ready', () => (nextRecordReadAt = 0));

  return {
    /** One tick now (tests); the timer runs one every `everyMs`. */
    tick: () => tickSoon() ?? Promise.resolve(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (leaseToken) await locks.release(LEADER_KEY, leaseToken).catch(() => undefined);
    },
  };
}

export type WaitingListTicker = ReturnType<typeof createWaitingListTicker>;

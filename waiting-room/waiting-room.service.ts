import { createHmac } from 'node:crypto';
import { signAdmissionToken } from '../lib/admission-token.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { RateLimiter, RateLimitRule } from '../lib/rate-limiter.js';
import type { ConcertCache } from '../lib/records/concert-cache.js';
import { JoinCode } from './line-codes.js';
import type { FanPlace, LineRepository, LineSnapshot } from './line.repository.js';
import type { WaitingRoomMetrics } from './waiting-room.metrics.js';
import { roomSettings, withControls, type RoomDefaults, type RoomSettings } from './room-settings.js';

/** What join and status answer (ARCHITECTURE.md section 3), plus the line's counters for the page. */
export interface LineStatus {
  concertId: string;
  status: 'waiting' | 'admitted' | 'sold_out';
  /** null while in the pre-queue (places are drawn at opening) */
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  admissionToken?: string;
  expiresAt?: string;
  opensAt?: string;
  serving: number;
  waiting: number;
  admitPerSecond: number;
  /** how long the place is kept after the last sign of life (a status poll or an open socket) */
  graceSeconds: number;
  /** until when the place is kept if the fan goes quiet now (waiting), or the claim window's end (admitted) */
  keptUntil?: string;
  /** how long an admitted fan has to book */
  claimWindowSeconds: number;
  /** true while the operator has paused admissions (places are kept) */
  paused: boolean;
}

export interface WaitingRoomServiceOptions {
  lines: LineRepository;
  concerts: ConcertCache;
  tokenSecret: string;
  defaults: RoomDefaults;
  statusCacheMs: number;
  /** Joins per client IP (a flood of accounts from one machine) and per account (a script re-joining in a loop). */
  joinLimiter: RateLimiter;
  joinLimitPerIp: Omit<RateLimitRule, 'name'>;
  joinLimitPerAccount: Omit<RateLimitRule, 'name'>;
  metrics: WaitingRoomMetrics;
  logger: Logger;
}

/** A fan's place changes only at opening, admission, expiry or abandonment; re-read it this often at most. */
const PLACE_CACHE_MS = 5_000;
const PLACE_CACHE_MAX = 200_000;
const PRESENCE_FLUSH_MS = 1_000;

/**
 * Join and status. Status is what thousands of fans poll, so it is answered
 * from a per-process snapshot of the line's counters (refreshed every
 * statusCacheMs) and a short cache of each fan's place; a poll's sign of life
 * is written to Redis in one batch per second.
 */
export function createWaitingRoomService(opts: WaitingRoomServiceOptions) {
  const { lines, concerts } = opts;
  const joinRule: RateLimitRule = { name: 'waiting-room-join-ip', ...opts.joinLimitPerIp };
  const joinAccountRule: RateLimitRule = { name: 'waiting-room-join-account', ...opts.joinLimitPerAccount };
  const snapshots = new Map<string, { at: number; value: Promise<LineSnapshot> }>();
  const places = new Map<string, { at: number; place: FanPlace }>();
  let seen = new Map<string, Set<string>>();

  const presenceTimer = setInterval(() => {
    const batch = seen;
    seen = new Map();
    lines.markSeen(batch, Date.now()).catch((err) => opts.logger.warn({ err }, 'presence flush failed'));
  }, PRESENCE_FLUSH_MS);
  presenceTimer.unref();

  async function recordedSettingsOf(concertId: string): Promise<RoomSettings> {
    const concert = await concerts.get(concertId);
    const settings = concert && roomSettings(concert, opts.defaults);
    if (!settings?.enabled) throw new AppError('not_found', 'This concert has no waiting room');
    return settings;
  }

  /**
   * One draw per account: the pre-queue score is a keyed hash of the fan and the
   * concert, so leaving and joining again (or a second tab) draws the same number,
   * and nobody can compute it without the server's secret.
   */
  const drawOf = (concertId: string, fanId: string) =>
    String(Number.parseInt(createHmac('sha256', opts.tokenSecret).update(`pre-queue|${concertId}|${fanId}`).digest('hex').slice(0, 12), 16));

  function snapshot(concertId: string, fresh = false): Promise<LineSnapshot> {
    const hit = snapshots.get(concertId);
    if (!fresh && hit && Date.now() - hit.at < opts.statusCacheMs) return hit.value;
    opts.metrics.onSnapshotRead();
    const value = lines.snapshot(concertId);
    snapshots.set(concertId, { at: Date.now(), value });
    value.catch(() => snapshots.delete(concertId));
    return value;
  }

  async function placeOf(concertId: string, fanId: string, line: LineSnapshot): Promise<FanPlace | null> {
    const key = `${concertId}:${fanId}`;
    const hit = places.get(key);
    const stale =
      !hit ||
      Date.now() - hit.at > PLACE_CACHE_MS ||
      (hit.place.preQueued && line.opened) ||
      (!hit.place.admissionExpiresAtMs && hit.place.position !== null && hit.place.position <= line.serving) ||
      (hit.place.admissionExpiresAtMs !== undefined && hit.place.admissionExpiresAtMs <= Date.now());
    if (!stale) return hit.place;
    opts.metrics.onPlaceRead();
    const place = await lines.place(concertId, fanId);
    if (places.size >= PLACE_CACHE_MAX) places.clear();
    if (place) places.set(key, { at: Date.now(), place });
    else places.delete(key);
    return place;
  }

  function answer(recorded: RoomSettings, fanId: string, place: FanPlace, line: LineSnapshot): LineStatus {
    const settings = withControls(recorded, line.controls);
    const base = {
      concertId: settings.concertId,
      serving: line.serving,
      waiting: line.waiting,
      admitPerSecond: settings.admitPerSecond,
      graceSeconds: Math.round(settings.graceMs / 1000),
      claimWindowSeconds: Math.round(settings.claimWindowMs / 1000),
      paused: settings.paused,
    };
    const expiresAtMs = place.admissionExpiresAtMs;
    if (expiresAtMs !== undefined && expiresAtMs > Date.now()) {
      const admissionToken = signAdmissionToken(opts.tokenSecret, {
        fanId,
        concertId: settings.concertId,
        admittedAtMs: place.admittedAtMs ?? expiresAtMs,
        expiresAtMs,
      });
      const expiresAt = new Date(expiresAtMs).toISOString();
      return { ...base, status: 'admitted', position: place.position, ahead: 0, etaSeconds: 0, admissionToken, expiresAt, keptUntil: expiresAt };
    }
    // This answer is itself a sign of life (flushed within a second), so the place is kept for the grace period from now.
    const keptUntil = new Date(Date.now() + settings.graceMs).toISOString();
    const status = line.soldOut ? 'sold_out' : 'waiting';
    const rate = Math.min(settings.admitPerSecond, line.rate ?? settings.admitPerSecond);
    if (place.position === null) {
      // Places are drawn at opening; expect to be somewhere in the middle of the pre-queue.
      const untilOpen = Math.max(0, Math.ceil((settings.opensAtMs - Date.now()) / 1000));
      return {
        ...base,
        status,
        position: null,
        ahead: null,
        etaSeconds: untilOpen + Math.ceil(line.waiting / 2 / rate),
        opensAt: new Date(settings.opensAtMs).toISOString(),
        keptUntil,
      };
    }
    // Positions of fans who left are gaps, so `ahead` overestimates; it never says "next" too early.
    const positionsAhead = place.position - line.serving - 1;
    const ahead = Math.max(0, Math.min(positionsAhead, line.waiting - 1));
    // The wait counts only the positions expected to still hold a fan when the front gets there; at least 1 s.
    const expectedAhead = Math.min(ahead, positionsAhead * (line.aliveShare ?? 1));
    const etaSeconds = status === 'sold_out' ? null : Math.ceil((expectedAhead + 1) / rate);
    return { ...base, status, position: place.position, ahead, etaSeconds, keptUntil };
  }

  /** The line as the fan's answer must see it: never one taken before the fan's own join (it would not count the fan). */
  async function lineFor(concertId: string, place: FanPlace, line: LineSnapshot): Promise<LineSnapshot> {
    return place.position !== null && place.position > line.seq ? snapshot(concertId, true) : line;
  }

  return {
    async join(fanId: string, concertId: string, clientIp: string): Promise<LineStatus> {
      await opts.joinLimiter.hit(joinRule, clientIp);
      const settings = await recordedSettingsOf(concertId);
      if (Date.now() >= settings.startsAtMs) throw new AppError('concert_started');
      // Counted for real lines only, so probing ids costs the account nothing (the IP limit above counts every attempt).
      await opts.joinLimiter.hit(joinAccountRule, fanId);
      const joined = await lines.join(concertId, fanId, settings.opensAtMs, drawOf(concertId, fanId));
      if (joined.code === JoinCode.Draining) throw new AppError('line_draining');
      places.delete(`${concertId}:${fanId}`);
      const cached = await snapshot(concertId);
      const place = await placeOf(concertId, fanId, cached);
      if (!place) throw new AppError('service_unavailable', 'Your place could not be read back; try again');
      // The counters as of this join: a cached snapshot older than the join would say fewer fans are ahead than the next status does.
      const line = { ...(await lineFor(concertId, place, cached)) };
      line.serving = Math.max(line.serving, joined.serving);
      line.waiting = Math.max(line.waiting, joined.waiting);
      return answer(settings, fanId, place, line);
    },

    async status(fanId: string, concertId: string): Promise<LineStatus> {
      opts.metrics.onStatus();
      const settings = await recordedSettingsOf(concertId);
      const cached = await snapshot(concertId);
      const place = await placeOf(concertId, fanId, cached);
      if (!place) throw new AppError('not_in_line');
      const line = await lineFor(concertId, place, cached);
      if (!place.admissionExpiresAtMs) {
        let fans = seen.get(concertId);
        if (!fans) seen.set(concertId, (fans = new Set()));
        fans.add(fanId);
      }
      return answer(settings, fanId, place, line);
    },

    stop() {
      clearInterval(presenceTimer);
      return lines.markSeen(seen, Date.now());
    },
  };
}

export type WaitingRoomService = ReturnType<typeof createWaitingRoomService>;

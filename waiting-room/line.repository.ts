import path from 'node:path';
import type { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { defineLuaCommands, KERNEL_LUA_DIR } from '../lib/lua-scripts.js';
import { ACTIVE_WAITING_ROOMS_KEY, waitingRoomKeys } from '../lib/waiting-room-keys.js';
import { JoinCode, RenewLeaseCode } from './line-codes.js';

const LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');
const SCRIPTS = ['join-line-10.lua', 'advance-line-11.lua'];
/** Recent admissions whose time in line the operator's p50/p95 are computed over. */
const WAITS_SAMPLED = 1000;
const RETIRED_LINE_TTL_SECONDS = 24 * 3600;

type AdvanceReply = [number, number, number, number, number, number, number, number, Array<string | number>, number, number, number];

interface LineCommands {
  joinLine(...args: [...string[], number, string]): Promise<[JoinCode, number, number, number]>;
  advanceLine(...args: [...string[], number, number, number, number, number, number, number]): Promise<AdvanceReply>;
  renewLease(lease: string, token: string, ttlMs: number): Promise<RenewLeaseCode>;
}

export interface AdvanceSettings {
  opensAtMs: number;
  admitPerSecond: number;
  maxActive: number;
  claimWindowMs: number;
  graceMs: number;
  paused: boolean;
  /** Seats of all types left; -1 when unknown. */
  seatsLeft: number;
}

export interface AdvanceResult {
  serving: number;
  waiting: number;
  active: number;
  soldOut: boolean;
  opened: boolean;
  nowMs: number;
  expired: number;
  abandoned: number;
  admitted: Array<{ fanId: string; position: number; admittedAtMs: number; expiresAtMs: number }>;
  /** the settings in effect this tick (the operator's live controls, else the concert's) */
  admitPerSecond: number;
  paused: boolean;
}

export interface LineSnapshot {
  /** last position handed out: a fan whose position is above it joined after this snapshot was taken */
  seq: number;
  serving: number;
  waiting: number;
  opened: boolean;
  soldOut: boolean;
  /** admissions per second the line achieves now; undefined before the first measurement */
  rate?: number;
  /** share of the positions reaching the front whose fan was still there (alive-share-meter.ts); undefined before the first measurement */
  aliveShare?: number;
  /** the operator's live controls, where set (they win over the concert record) */
  controls: LiveControls;
}

/** The operator's live controls as stored in the line's state hash (absent fields: the concert's settings apply). */
export interface LiveControls {
  paused?: boolean;
  draining?: boolean;
  admitPerSecond?: number;
  maxActive?: number;
  claimWindowMs?: number;
  graceMs?: number;
}

export interface LineStats {
  waiting: number;
  admitted: number;
  serving: number;
  rate: number;
  noShows: number;
  /** time in line (ms) of the latest admissions */
  waitsMs: number[];
}

const CONTROL_FIELDS = ['paused', 'draining', 'admitPerSecond', 'maxActive', 'claimWindowMs', 'graceMs'] as const;

function controlsOf(values: Array<string | null>): LiveControls {
  const controls: LiveControls = {};
  CONTROL_FIELDS.forEach((field, i) => {
    const value = values[i];
    if (value === null) return;
    if (field === 'paused' || field === 'draining') controls[field] = value === '1';
    else controls[field] = Number(value);
  });
  return controls;
}

export interface FanPlace {
  /** null while in the pre-queue */
  position: number | null;
  preQueued: boolean;
  /** set once admitted */
  admissionExpiresAtMs?: number;
  admittedAtMs?: number;
}

/** The Redis side of the waiting room: one line per concert, under the concert's hash tag. */
export function createLineRepository(redis: Redis) {
  defineLuaCommands(redis, LUA_DIR, SCRIPTS);
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['renew-lease-1.lua']);
  const lua = redis as unknown as LineCommands;

  return {
    /** `preQueueScore`: the fan's draw, hidden from the fan; orders the pre-queue at opening. */
    async join(
      concertId: string,
      fanId: string,
      opensAtMs: number,
      preQueueScore: string,
    ): Promise<{ code: JoinCode; position: number; serving: number; waiting: number }> {
      const k = waitingRoomKeys(concertId);
      const [, reply] = await Promise.all([
        redis.sadd(ACTIVE_WAITING_ROOMS_KEY, concertId),
        lua.joinLine(k.state, k.positions, k.preQueue, k.line, k.seen, k.admitted, k.active, k.used, k.admittedAt, k.joined, fanId, opensAtMs, preQueueScore),
      ]);
      return { code: reply[0], position: reply[1], serving: reply[2], waiting: reply[3] };
    },

    async advance(concertId: string, s: AdvanceSettings): Promise<AdvanceResult> {
      const k = waitingRoomKeys(concertId);
      const reply = await lua.advanceLine(
        k.state,
        k.positions,
        k.preQueue,
        k.line,
        k.seen,
        k.active,
        k.admitted,
        k.used,
        k.admittedAt,
        k.joined,
        k.waits,
        s.opensAtMs,
        s.admitPerSecond,
        s.maxActive,
        s.claimWindowMs,
        s.graceMs,
        s.seatsLeft,
        s.paused ? 1 : 0,
      );
      const [serving, waiting, active, soldOut, opened, nowMs, expired, abandoned, flat, admitPerSecond, claimWindowMs, paused] = reply;
      const admitted: AdvanceResult['admitted'] = [];
      for (let i = 0; i < flat.length; i += 2)
        admitted.push({ fanId: String(flat[i]), position: Number(flat[i + 1]), admittedAtMs: nowMs, expiresAtMs: nowMs + claimWindowMs });
      return {
        serving,
        waiting,
        active,
        soldOut: soldOut === 1,
        opened: opened === 1,
        nowMs,
        expired,
        abandoned,
        admitted,
        admitPerSecond,
        paused: paused === 1,
      };
    },

    async snapshot(concertId: string): Promise<LineSnapshot> {
      const [seq, serving, waiting, opened, soldOut, rate, aliveShare, ...controls] = await redis.hmget(
        waitingRoomKeys(concertId).state,
        'seq',
        'serving',
        'waiting',
        'opened',
        'soldOut',
        'rate',
        'aliveShare',
        ...CONTROL_FIELDS,
      );
      return {
        seq: Number(seq ?? 0),
        serving: Number(serving ?? 0),
        waiting: Number(waiting ?? 0),
        opened: opened === '1',
        soldOut: soldOut === '1',
        ...(rate ? { rate: Number(rate) } : {}),
        ...(aliveShare ? { aliveShare: Number(aliveShare) } : {}),
        controls: controlsOf(controls),
      };
    },

    /** Writes the operator's live controls (the next tick, on any process, applies them). */
    async setControls(concertId: string, controls: LiveControls): Promise<void> {
      const fields = Object.entries(controls).flatMap(([field, value]) =>
        value === undefined ? [] : [field, typeof value === 'boolean' ? (value ? '1' : '0') : String(value)],
      );
      if (fields.length) await redis.hset(waitingRoomKeys(concertId).state, ...fields);
    },

    async stats(concertId: string): Promise<LineStats> {
      const k = waitingRoomKeys(concertId);
      const [[, state], [, admitted], [, waits]] = (await redis
        .pipeline()
        .hmget(k.state, 'waiting', 'serving', 'rate', 'noShows')
        .zcard(k.admitted)
        .lrange(k.waits, 0, WAITS_SAMPLED - 1)
        .exec()) as [[unknown, Array<string | null>], [unknown, number], [unknown, string[]]];
      return {
        waiting: Number(state[0] ?? 0),
        serving: Number(state[1] ?? 0),
        rate: Number(state[2] ?? 0),
        noShows: Number(state[3] ?? 0),
        admitted,
        waitsMs: waits.map(Number),
      };
    },

    async place(concertId: string, fanId: string): Promise<FanPlace | null> {
      const k = waitingRoomKeys(concertId);
      const [[, position], [, preQueued], [, expiry], [, admittedAt]] = (await redis
        .pipeline()
        .hget(k.positions, fanId)
        .zscore(k.preQueue, fanId)
        .zscore(k.admitted, fanId)
        .hget(k.admittedAt, fanId)
        .exec()) as Array<[unknown, string | null]>;
      if (position)
        return {
          position: Number(position),
          preQueued: false,
          ...(expiry ? { admissionExpiresAtMs: Number(expiry), admittedAtMs: Number(admittedAt ?? expiry) } : {}),
        };
      if (preQueued) return { position: null, preQueued: true };
      return null;
    },

    /** Signs of life from status polls, batched: only fans still waiting are touched (XX). */
    async markSeen(seen: Map<string, Set<string>>, nowMs: number): Promise<void> {
      // One command per concert: concerts live in different cluster slots.
      await Promise.all(
        [...seen].map(([concertId, fans]) => redis.zadd(waitingRoomKeys(concertId).seen, 'XX', ...[...fans].flatMap((fanId) => [nowMs, fanId]))),
      );
    },

    setFlow: (concertId: string, rate: number, aliveShare: number) =>
      redis.hset(waitingRoomKeys(concertId).state, 'rate', rate.toFixed(3), 'aliveShare', aliveShare.toFixed(3)),
    activeConcerts: () => redis.smembers(ACTIVE_WAITING_ROOMS_KEY),
    /** Sales are over: stop ticking the line and let its keys expire (kept a day for support questions). */
    async retire(concertId: string) {
      const k = waitingRoomKeys(concertId);
      const keys = [k.state, k.positions, k.preQueue, k.line, k.seen, k.active, k.admitted, k.admittedAt, k.used, k.joined, k.waits];
      await redis.srem(ACTIVE_WAITING_ROOMS_KEY, concertId);
      // One slot (the concert's hash tag), so one pipeline is fine in a cluster too.
      await keys.reduce((p, key) => p.expire(key, RETIRED_LINE_TTL_SECONDS), redis.pipeline()).exec();
    },
    renewLease: (concertId: string, token: string, ttlMs: number) => lua.renewLease(waitingRoomKeys(concertId).tickerLease, token, ttlMs),
  };
}

export type LineRepository = ReturnType<typeof createLineRepository>;

import { randomInt } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { defineLuaCommands, KERNEL_LUA_DIR } from '../lib/lua-scripts.js';
import { ACTIVE_WAITING_ROOMS_KEY, waitingRoomKeys } from '../lib/waiting-room-keys.js';
import { JoinCode, RenewLeaseCode } from './line-codes.js';

const LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');
const SCRIPTS = ['join-line-7.lua', 'advance-line-7.lua'];
const RETIRED_LINE_TTL_SECONDS = 24 * 3600;

type AdvanceReply = [number, number, number, number, number, number, number, number, Array<string | number>];

interface LineCommands {
  joinLine(...args: [string, string, string, string, string, string, string, string, number, number]): Promise<[JoinCode, number]>;
  advanceLine(...args: [string, string, string, string, string, string, string, number, number, number, number, number, number]): Promise<AdvanceReply>;
  renewLease(lease: string, token: string, ttlMs: number): Promise<RenewLeaseCode>;
}

export interface AdvanceSettings {
  opensAtMs: number;
  admitPerSecond: number;
  maxActive: number;
  tokenTtlMs: number;
  abandonAfterMs: number;
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
}

export interface LineSnapshot {
  serving: number;
  waiting: number;
  opened: boolean;
  soldOut: boolean;
  /** admissions per second the line achieves now; undefined before the first measurement */
  rate?: number;
}

export interface FanPlace {
  /** null while in the pre-queue */
  position: number | null;
  preQueued: boolean;
  /** set once admitted */
  admissionExpiresAtMs?: number;
}

/** The Redis side of the waiting room: one line per concert, under the concert's hash tag. */
export function createLineRepository(redis: Redis) {
  defineLuaCommands(redis, LUA_DIR, SCRIPTS);
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['renew-lease-1.lua']);
  const lua = redis as unknown as LineCommands;

  return {
    async join(concertId: string, fanId: string, opensAtMs: number): Promise<{ code: JoinCode; position: number }> {
      const k = waitingRoomKeys(concertId);
      // Hidden from the fan; orders the pre-queue at opening.
      const preQueueScore = randomInt(0, 2 ** 47);
      const [, reply] = await Promise.all([
        redis.sadd(ACTIVE_WAITING_ROOMS_KEY, concertId),
        lua.joinLine(k.state, k.positions, k.preQueue, k.line, k.seen, k.admitted, k.active, fanId, opensAtMs, preQueueScore),
      ]);
      return { code: reply[0], position: reply[1] };
    },

    async advance(concertId: string, s: AdvanceSettings): Promise<AdvanceResult> {
      const k = waitingRoomKeys(concertId);
      const [serving, waiting, active, soldOut, opened, nowMs, expired, abandoned, flat] = await lua.advanceLine(
        k.state,
        k.positions,
        k.preQueue,
        k.line,
        k.seen,
        k.active,
        k.admitted,
        s.opensAtMs,
        s.admitPerSecond,
        s.maxActive,
        s.tokenTtlMs,
        s.abandonAfterMs,
        s.seatsLeft,
      );
      const admitted: AdvanceResult['admitted'] = [];
      for (let i = 0; i < flat.length; i += 2)
        admitted.push({ fanId: String(flat[i]), position: Number(flat[i + 1]), admittedAtMs: nowMs, expiresAtMs: nowMs + s.tokenTtlMs });
      return { serving, waiting, active, soldOut: soldOut === 1, opened: opened === 1, nowMs, expired, abandoned, admitted };
    },

    async snapshot(concertId: string): Promise<LineSnapshot> {
      const [serving, waiting, opened, soldOut, rate] = await redis.hmget(waitingRoomKeys(concertId).state, 'serving', 'waiting', 'opened', 'soldOut', 'rate');
      return {
        serving: Number(serving ?? 0),
        waiting: Number(waiting ?? 0),
        opened: opened === '1',
        soldOut: soldOut === '1',
        ...(rate ? { rate: Number(rate) } : {}),
      };
    },

    async place(concertId: string, fanId: string): Promise<FanPlace | null> {
      const k = waitingRoomKeys(concertId);
      const [[, position], [, preQueued], [, expiry]] = (await redis
        .pipeline()
        .hget(k.positions, fanId)
        .zscore(k.preQueue, fanId)
        .zscore(k.admitted, fanId)
        .exec()) as Array<[unknown, string | null]>;
      if (position) return { position: Number(position), preQueued: false, ...(expiry ? { admissionExpiresAtMs: Number(expiry) } : {}) };
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

    setFlowRate: (concertId: string, rate: number) => redis.hset(waitingRoomKeys(concertId).state, 'rate', rate.toFixed(3)),
    activeConcerts: () => redis.smembers(ACTIVE_WAITING_ROOMS_KEY),
    /** Sales are over: stop ticking the line and let its keys expire (kept a day for support questions). */
    async retire(concertId: string) {
      const k = waitingRoomKeys(concertId);
      const keys = [k.state, k.positions, k.preQueue, k.line, k.seen, k.active, k.admitted];
      await redis.srem(ACTIVE_WAITING_ROOMS_KEY, concertId);
      // One slot (the concert's hash tag), so one pipeline is fine in a cluster too.
      await keys.reduce((p, key) => p.expire(key, RETIRED_LINE_TTL_SECONDS), redis.pipeline()).exec();
    },
    renewLease: (concertId: string, token: string, ttlMs: number) => lua.renewLease(waitingRoomKeys(concertId).tickerLease, token, ttlMs),
  };
}

export type LineRepository = ReturnType<typeof createLineRepository>;

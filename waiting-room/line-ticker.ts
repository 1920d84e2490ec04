import type { Emitter } from '@socket.io/redis-emitter';
import { signAdmissionToken } from '../lib/admission-token.js';
import { fanRoom } from '../lib/booking-requests.js';
import type { Inventory } from '../lib/inventory/inventory.js';
import type { InventoryLoader } from '../lib/inventory/inventory-loader.js';
import type { Logger } from '../lib/logger.js';
import type { ConcertCache } from '../lib/records/concert-cache.js';
import type { RedisLocks } from '../lib/redis-lock.js';
import { lineRoom, waitingRoomKeys } from '../lib/waiting-room-keys.js';
import { createAliveShareMeter, type AliveShareMeter } from './alive-share-meter.js';
import { createFlowMeter, type FlowMeter } from './flow-meter.js';
import { RenewLeaseCode } from './line-codes.js';
import type { AdvanceResult, LineRepository } from './line.repository.js';
import { roomSettings, type RoomDefaults, type RoomSettings } from './room-settings.js';
import type { WaitingRoomMetrics } from './waiting-room.metrics.js';

export interface LineTickerOptions {
  lines: LineRepository;
  locks: RedisLocks;
  concerts: ConcertCache;
  inventory: Inventory;
  loader: InventoryLoader;
  emitter: Emitter;
  tokenSecret: string;
  defaults: RoomDefaults;
  tickMs: number;
  updateMs: number;
  metrics: WaitingRoomMetrics;
  logger: Logger;
}

/** An update goes out when the counters change, and at least this often so late joiners catch up. */
const KEEPALIVE_UPDATE_MS = 2_000;
const SLOW_TICK_WARN_MS = 5_000;

/**
 * Advances every open line. Several waiting-room processes may run: each line
 * is advanced only by the process holding its lease, and the rate does not
 * depend on who ticks or how often (advance-line-7.lua earns credits per
 * elapsed millisecond of Redis time).
 */
export function startLineTicker(opts: LineTickerOptions) {
  const { lines, locks, logger } = opts;
  const leaseMs = Math.max(5_000, opts.tickMs * 25);
  const leases = new Map<string, string>();
  const lastSent = new Map<string, { serving: number; waiting: number; soldOut: boolean; at: number }>();
  const flows = new Map<string, { meter: FlowMeter; alive: AliveShareMeter; stored: number; storedShare: number; configured: number }>();
  const rebuilding = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function holdLease(concertId: string): Promise<boolean> {
    const token = leases.get(concertId);
    if (token) {
      if ((await lines.renewLease(concertId, token, leaseMs)) === RenewLeaseCode.Renewed) return true;
      leases.delete(concertId);
      lastSent.delete(concertId);
      flows.delete(concertId);
      logger.warn({ concertId }, 'ticker lease lost');
    }
    const taken = await locks.tryAcquire(waitingRoomKeys(concertId).tickerLease, leaseMs);
    if (taken) leases.set(concertId, taken);
    return Boolean(taken);
  }

  async function dropLease(concertId: string) {
    const token = leases.get(concertId);
    leases.delete(concertId);
    lastSent.delete(concertId);
    flows.delete(concertId);
    if (token) await locks.release(waitingRoomKeys(concertId).tickerLease, token);
  }

  async function seatsLeft(settings: RoomSettings): Promise<number> {
    const remaining = await opts.inventory.remaining(settings.concertId, settings.seatTypeIds);
    if (remaining) return [...remaining.values()].reduce((a, b) => a + b, 0);
    // Stock not in Redis (restart): rebuild it from the record in the background; admit without the stock cap meanwhile.
    if (!rebuilding.has(settings.concertId)) {
      rebuilding.add(settings.concertId);
      opts.loader
        .ensureLoaded(settings.concertId)
        .catch((err) => logger.warn({ err, concertId: settings.concertId }, 'stock rebuild failed'))
        .finally(() => rebuilding.delete(settings.concertId));
    }
    return -1;
  }

  /**
   * The measured rate and share of positions still alive at the front, written for status answers when either moved
   * noticeably (they quote ETAs with them).
   */
  async function measureFlow(settings: RoomSettings, result: AdvanceResult): Promise<number> {
    let flow = flows.get(settings.concertId);
    // A new admitPerSecond (the operator's live control) starts a new measurement at that rate.
    if (!flow || flow.configured !== result.admitPerSecond)
      flows.set(
        settings.concertId,
        (flow = {
          meter: createFlowMeter(result.admitPerSecond, result.nowMs),
          alive: flow?.alive ?? createAliveShareMeter(),
          stored: 0,
          storedShare: 0,
          configured: result.admitPerSecond,
        }),
      );
    // A paused line admits nobody by the operator's choice: that says nothing about the flow once it resumes.
    const rate = flow.meter.record(result.nowMs, result.admitted.length, result.waiting > 0 && !result.paused);
    const share = flow.alive.record(result.serving, result.admitted.length);
    if (Math.abs(rate - flow.stored) >= Math.max(0.05, flow.stored * 0.05) || Math.abs(share - flow.storedShare) >= 0.01) {
      await lines.setFlow(settings.concertId, rate, share);
      flow.stored = rate;
      flow.storedShare = share;
    }
    return rate;
  }

  function publish(settings: RoomSettings, result: AdvanceResult, currentRate: number) {
    const { concertId } = settings;
    for (const fan of result.admitted) {
      const admissionToken = signAdmissionToken(opts.tokenSecret, {
        fanId: fan.fanId,
        concertId,
        admittedAtMs: fan.admittedAtMs,
        expiresAtMs: fan.expiresAtMs,
      });
      opts.emitter.to(fanRoom(fan.fanId)).emit('waiting-room:admitted', { concertId, admissionToken, expiresAt: new Date(fan.expiresAtMs).toISOString() });
    }
    const previous = lastSent.get(concertId);
    if (result.soldOut && !previous?.soldOut) opts.emitter.to(lineRoom(concertId)).emit('waiting-room:sold-out', { concertId });
    const changed = !previous || previous.serving !== result.serving || previous.waiting !== result.waiting || previous.soldOut !== result.soldOut;
    const since = previous ? Date.now() - previous.at : Infinity;
    if ((changed && since >= opts.updateMs) || since >= KEEPALIVE_UPDATE_MS || result.soldOut !== previous?.soldOut) {
      opts.emitter.to(lineRoom(concertId)).emit('waiting-room:update', {
        concertId,
        serving: result.serving,
        waiting: result.waiting,
        admitPerSecond: result.admitPerSecond,
        paused: result.paused,
        // What the line achieves now (less than admitPerSecond while maxActive or the seats left hold it back).
        currentRate: Number(currentRate.toFixed(2)),
        soldOut: result.soldOut,
        // Redis time of this tick: lets clients (and the benchmark) see how fresh the counters are.
        updatedAt: result.nowMs,
      });
      lastSent.set(concertId, { serving: result.serving, waiting: result.waiting, soldOut: result.soldOut, at: Date.now() });
    }
  }

  async function tickConcert(concertId: string) {
    const concert = await opts.concerts.get(concertId);
    const settings = concert && roomSettings(concert, opts.defaults);
    if (!settings?.enabled || Date.now() >= settings.startsAtMs) {
      // Sales are over (or the room was switched off): nothing left to advance.
      await lines.retire(concertId);
      await dropLease(concertId);
      return;
    }
    if (!(await holdLease(concertId))) return;
    const result = await lines.advance(concertId, {
      opensAtMs: settings.opensAtMs,
      admitPerSecond: settings.admitPerSecond,
      maxActive: settings.maxActive,
      claimWindowMs: settings.claimWindowMs,
      graceMs: settings.graceMs,
      paused: settings.paused,
      seatsLeft: await seatsLeft(settings),
    });
    opts.metrics.onTick(concertId, result);
    publish(settings, result, await measureFlow(settings, result));
  }

  async function tick() {
    const started = Date.now();
    // A tick takes milliseconds; the next one waits for it, so a hung one stops every line (say so in the log).
    const slow = setInterval(() => logger.warn({ runningMs: Date.now() - started }, 'line tick still running'), SLOW_TICK_WARN_MS);
    try {
      const concertIds = await lines.activeConcerts();
      for (const id of leases.keys()) if (!concertIds.includes(id)) await dropLease(id);
      await Promise.all(concertIds.map((id) => tickConcert(id).catch((err) => logger.error({ err, concertId: id }, 'line tick failed'))));
    } catch (err) {
      logger.error({ err }, 'ticker failed');
    } finally {
      clearInterval(slow);
    }
    // tick() catches its own errors; stop() awaits the one running.
    if (!stopped)
      timer = setTimeout(
        () => {
          running = tick();
        },
        Math.max(0, opts.tickMs - (Date.now() - started)),
      );
  }

  running = tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.all([...leases.keys()].map((id) => dropLease(id)));
    },
  };
}

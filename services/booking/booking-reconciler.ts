import type { Queue } from 'bullmq';
import { trusted } from 'mongoose';
import type { Redis } from 'ioredis';
import { ReleaseCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { Logger } from '../../lib/logger.js';
import { enqueueBookingEmail } from '../../lib/notification-jobs.js';
import { NOTIFICATION_JOBS, notificationJobId, type ReserveJobData } from '../../lib/queues.js';
import type { BookingRequestModel } from '../../lib/records/booking-request.record.js';
import type { BookingDoc, BookingModel } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import { createRedisLocks } from '../../lib/redis-lock.js';
import { jobOf } from './booking-queue.js';

const LEADER_KEY = '{booking-reconciler}:leader';

export interface ReconcilerOptions {
  /** How often the leader compares the record with Redis. */
  everyMs: number;
  /** An accepted request younger than this may still be on its way into the queue. */
  settleAfterMs: number;
  /** Each pass looks this far back; a pass after Redis lost writes, and every `fullEveryMs`, as far as `fullWindowMs`. */
  recentWindowMs: number;
  fullWindowMs: number;
  fullEveryMs: number;
}

export interface ReconcilerDeps {
  redis: Redis;
  requests: BookingRequestModel;
  bookings: BookingModel;
  /** Queues a booking job with the request id as its job id (a job that exists is not added twice). */
  enqueue: (job: ReserveJobData) => Promise<unknown>;
  queue: Pick<Queue, 'toKey'>;
  notifications: Pick<Queue, 'add' | 'toKey'>;
  inventory: Pick<Inventory, 'release'>;
  concerts: ConcertCache;
  logger: Logger;
}

export interface PassOutcome {
  full: boolean;
  /** Accepted requests without a job: queued again (the worker decides each once, from the record). */
  requeued: number;
  /** Cancelled bookings whose seat was still held in Redis: released. */
  released: number;
  /** Confirmation and cancellation emails without a job: queued again (the outbox sends each once). */
  emailsQueued: number;
}

const runIdOf = async (redis: Redis) => /run_id:(\w+)/.exec(await redis.info('server'))?.[1] ?? '';

// Filters are sanitised on every connection (lib/mongo.ts); these operators are ours: trusted.

/**
 * Repairs Redis and the queue from the record, the way a controller converges
 * actual state on desired state: the record (booking_requests and bookings) says
 * what must exist, Redis is compared with it and the difference is put back.
 *   - an accepted request with no decision and no job is queued again;
 *   - a cancelled booking whose hold is still in Redis is released;
 *   - a confirmed or cancelled booking whose email job is missing gets it queued.
 * Every repair is idempotent (deterministic job ids, scripts that check the hold),
 * so two passes, or a pass racing the hot path, change nothing twice. One leader at a
 * time (a Redis lease). A pass looks at the recent past; after Redis lost writes
 * (its connection dropped, or its run_id changed: a restart or a failover) and once
 * a minute it looks at the whole window in which jobs are kept.
 */
export function createBookingReconciler(deps: ReconcilerDeps, opts: ReconcilerOptions) {
  const { redis, logger } = deps;
  const locks = createRedisLocks(redis);
  let leaseToken: string | null = null;
  let lastRunId = '';
  let lastFullAt = 0;
  let redisMayHaveLost = false;
  let running: Promise<PassOutcome | undefined> | undefined;
  let stopped = false;

  redis.on('close', () => (redisMayHaveLost = true));

  async function isLeader(): Promise<boolean> {
    const ttlMs = opts.everyMs * 3;
    if (leaseToken && (await locks.renew(LEADER_KEY, leaseToken, ttlMs))) return true;
    leaseToken = await locks.tryAcquire(LEADER_KEY, ttlMs);
    return leaseToken !== null;
  }

  /** Which of these keys exist, in one round trip. */
  async function existing(keys: string[]): Promise<boolean[]> {
    if (!keys.length) return [];
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.exists(key);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, n]) => !err && n === 1);
  }

  async function requeueUndecided(since: Date, until: Date): Promise<number> {
    const accepted = await deps.requests.find({ submittedAt: trusted({ $gte: since, $lt: until }) }).lean();
    if (!accepted.length) return 0;
    const jobExists = await existing(accepted.map((r) => deps.queue.toKey(String(r._id))));
    const missing = accepted.filter((_, i) => !jobExists[i]);
    if (!missing.length) return 0;
    // A job that finished and was removed leaves its decision behind: those are done.
    const decided = new Set((await deps.bookings.find({ createdAt: trusted({ $gte: since }) }, { _id: 1 }).lean()).map((d) => String(d._id)));
    const undecided = missing.filter((r) => !decided.has(String(r._id)));
    for (let i = 0; i < undecided.length; i += 100) {
      await Promise.all(undecided.slice(i, i + 100).map((r) => deps.enqueue(jobOf(r, { requeued: true }))));
    }
    return undecided.length;
  }

  async function queueMissingEmails(event: 'confirmed' | 'cancelled', bookings: BookingDoc[]): Promise<number> {
    const name = event === 'confirmed' ? NOTIFICATION_JOBS.bookingConfirmed : NOTIFICATION_JOBS.bookingCancelled;
    const jobExists = await existing(bookings.map((b) => deps.notifications.toKey(notificationJobId(name, String(b._id)))));
    const missing = bookings.filter((_, i) => !jobExists[i]);
    for (const booking of missing) await enqueueBookingEmail(deps.notifications, event, booking, await deps.concerts.get(booking.concertId));
    return missing.length;
  }

  async function pass(): Promise<PassOutcome | undefined> {
    if (!(await isLeader())) return undefined;
    const runId = await runIdOf(redis);
    const now = Date.now();
    const lostWrites = redisMayHaveLost || (lastRunId !== '' && runId !== lastRunId);
    const full = lostWrites || now - lastFullAt >= opts.fullEveryMs;
    redisMayHaveLost = false;
    const since = new Date(now - (full ? opts.fullWindowMs : opts.recentWindowMs));
    const outcome: PassOutcome = { full, requeued: 0, released: 0, emailsQueued: 0 };

    // After Redis lost writes nothing is "on its way" into it any more: repair everything
    // at once (queuing a job twice adds one, and a repeated job reads the record first).
    // Only then: the first pass and the once-a-`fullEveryMs` one are full too, and there a
    // request accepted a moment ago may still be on its way into the queue (its job would
    // be taken over as a repeat, and a cancel in flight released under it).
    const settled = new Date(lostWrites ? now : now - opts.settleAfterMs);
    outcome.requeued = await requeueUndecided(since, settled);
    const confirmed = await deps.bookings
      .find({ status: trusted({ $in: ['confirmed', 'cancelled'] }), createdAt: trusted({ $gte: since, $lt: settled }) })
      .lean<BookingDoc[]>();
    outcome.emailsQueued += await queueMissingEmails('confirmed', confirmed);
    const cancelled = await deps.bookings.find({ status: 'cancelled', cancelledAt: trusted({ $gte: since, $lt: settled }) }).lean<BookingDoc[]>();
    for (const booking of cancelled) {
      if ((await deps.inventory.release(booking.concertId, booking.seatTypeId, booking.userId, String(booking._id))) === ReleaseCode.Released)
        outcome.released++;
    }
    outcome.emailsQueued += await queueMissingEmails('cancelled', cancelled);

    lastRunId = runId;
    if (full) lastFullAt = now;
    if (outcome.requeued || outcome.released || outcome.emailsQueued) logger.warn(outcome, 'reconciler repaired Redis from the record');
    return outcome;
  }

  const passSoon = () => {
    if (stopped) return running;
    running ??= pass()
      .catch((err) => {
        // Redis or MongoDB unreachable: the next pass tries again, and looks at everything.
        redisMayHaveLost = true;
        logger.warn({ err: (err as Error).message }, 'reconciler pass failed; next one in a moment');
        return undefined;
      })
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void passSoon(), opts.everyMs);
  timer.unref();
  // Back after a drop: repair at once, fans are waiting.
  redis.on('ready', () => redisMayHaveLost && void passSoon());

  return {
    /** One pass now (tests); the timer runs one every `everyMs`. Resolves undefined when another process leads. */
    pass: () => passSoon() ?? Promise.resolve(undefined),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (leaseToken) await locks.release(LEADER_KEY, leaseToken).catch(() => undefined);
    },
  };
}

export type BookingReconciler = ReturnType<typeof createBookingReconciler>;

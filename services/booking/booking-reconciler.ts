import type { Queue } from 'bullmq';
import { trusted } from 'mongoose';
import type { Redis } from 'ioredis';
import { ReleaseCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { Logger } from '../../lib/logger.js';
import { enqueueBookingEmail } from '../../lib/notification-jobs.js';
import { NOTIFICATION_JOBS, notificationJobId, type ReserveJobData } from '../../lib/queues.js';
import type { BookingRequestModel } from '../../lib/records/booking-request.record.js';
import { BOOKED, type BookingDoc, type BookingModel } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import { createRedisLocks } from '../../lib/redis-lock.js';
import { jobOf } from './booking-queue.js';

const LEADER_KEY = '{booking-reconciler}:leader';
/**
 * Work lists (sorted sets, scored by time): requests just accepted and bookings
 * being cancelled. Only hints of where to look, so a steady pass reads no more of
 * the record than what they name; the record stays the truth, and a Redis that lost
 * them lost the jobs too, which sends the next pass over the record itself.
 */
export const RECONCILE_KEYS = { accepted: '{booking-reconciler}:accepted', cancelling: '{booking-reconciler}:cancelling' } as const;
const CANDIDATES_PER_PASS = 2000;

/** What the hot path tells the reconciler to look at a little later: one ZADD each. */
export function reconcilerHints(redis: Redis) {
  return {
    accepted: (requestId: string) => redis.zadd(RECONCILE_KEYS.accepted, Date.now(), requestId),
    cancelling: (bookingId: string) => redis.zadd(RECONCILE_KEYS.cancelling, Date.now(), bookingId),
  };
}

export type ReconcilerHints = ReturnType<typeof reconcilerHints>;

export interface ReconcilerOptions {
  /** How often the leader compares the record with Redis. */
  everyMs: number;
  /** An accepted request younger than this may still be on its way into the queue. */
  settleAfterMs: number;
  /** A full pass (the first, one after Redis lost writes, and one every `fullEveryMs`) reads the record this far back. */
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
 * time (a Redis lease). A steady pass (every few seconds) looks only where the work
 * lists point (RECONCILE_KEYS), so it reads almost nothing of the record; a full
 * pass reads the record over the whole window in which jobs are kept: the first
 * pass, one after Redis lost writes (its connection dropped, its run_id changed: a
 * restart or a failover, or the leader's lease vanished) and one every `fullEveryMs`.
 */
export function createBookingReconciler(deps: ReconcilerDeps, opts: ReconcilerOptions) {
  const { redis, logger } = deps;
  const locks = createRedisLocks(redis);
  let leaseToken: string | null = null;
  let lastRunId = '';
  /** When the next full pass is due; the first pass is one. */
  let nextFullAt = 0;
  let firstFullDone = false;
  let redisMayHaveLost = false;
  let running: Promise<PassOutcome | undefined> | undefined;
  let stopped = false;

  redis.on('close', () => (redisMayHaveLost = true));

  async function isLeader(): Promise<boolean> {
    const ttlMs = opts.everyMs * 3;
    if (leaseToken && (await locks.renew(LEADER_KEY, leaseToken, ttlMs))) return true;
    // A lease we held is gone: it expired (a slow pass), or Redis lost it (FLUSHALL, a
    // restart without its data). Either way the work lists may be gone: look at the record.
    if (leaseToken) redisMayHaveLost = true;
    leaseToken = await locks.tryAcquire(LEADER_KEY, ttlMs);
    return leaseToken !== null;
  }

  /** Candidates older than `before`, oldest first. */
  const candidates = (key: string, before: number) => redis.zrangebyscore(key, '-inf', `(${before}`, 'LIMIT', 0, CANDIDATES_PER_PASS);

  /** Which of these keys exist, in one round trip. */
  async function existing(keys: string[]): Promise<boolean[]> {
    if (!keys.length) return [];
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.exists(key);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, n]) => !err && n === 1);
  }

  /** A full pass: every request accepted in the window that has neither a job nor a decision. */
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

  /** A steady pass: the requests accepted lately whose job is missing (the add failed, or the process died before it). */
  async function requeueCandidates(before: number): Promise<number> {
    const ids = await candidates(RECONCILE_KEYS.accepted, before);
    if (!ids.length) return 0;
    const jobExists = await existing(ids.map((id) => deps.queue.toKey(id)));
    let requeued = 0;
    await Promise.all(
      ids
        .filter((_, i) => !jobExists[i])
        .map(async (id) => {
          const [request, decided] = await Promise.all([deps.requests.findById(id).lean(), deps.bookings.exists({ _id: id })]);
          if (!request || decided) return;
          await deps.enqueue(jobOf(request, { requeued: true }));
          requeued++;
        }),
    );
    await redis.zrem(RECONCILE_KEYS.accepted, ...ids);
    return requeued;
  }

  /** A steady pass: bookings whose cancel began lately; one the record says is cancelled is finished (release, email). */
  async function finishCancelCandidates(before: number, outcome: PassOutcome) {
    const ids = await candidates(RECONCILE_KEYS.cancelling, before);
    if (!ids.length) return;
    const cancelled = (await Promise.all(ids.map((id) => deps.bookings.findOne({ _id: id, status: 'cancelled' }).lean<BookingDoc>()))).filter(
      (b): b is BookingDoc => b !== null,
    );
    await finishCancels(cancelled, outcome);
    await redis.zrem(RECONCILE_KEYS.cancelling, ...ids);
  }

  async function finishCancels(cancelled: BookingDoc[], outcome: PassOutcome) {
    for (const booking of cancelled) {
      if ((await deps.inventory.release(booking.concertId, booking.seatTypeId, booking.userId, String(booking._id))) === ReleaseCode.Released)
        outcome.released++;
    }
    outcome.emailsQueued += await queueMissingEmails('cancelled', cancelled);
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
    const full = lostWrites || now >= nextFullAt;
    redisMayHaveLost = false;
    const outcome: PassOutcome = { full, requeued: 0, released: 0, emailsQueued: 0 };
    // After Redis lost writes nothing is "on its way" into it any more: repair everything
    // at once (queuing a job twice adds one, and a repeated job reads the record first).
    // Only then: the first pass and the once-a-`fullEveryMs` one are full too, and there a
    // request accepted a moment ago may still be on its way into the queue (its job would
    // be taken over as a repeat, and a cancel in flight released under it).
    const settledAt = lostWrites ? now : now - opts.settleAfterMs;

    if (full) {
      const since = new Date(now - opts.fullWindowMs);
      const settled = new Date(settledAt);
      outcome.requeued = await requeueUndecided(since, settled);
      const decided = await deps.bookings.find({ ...BOOKED, createdAt: trusted({ $gte: since, $lt: settled }) }).lean<BookingDoc[]>();
      outcome.emailsQueued += await queueMissingEmails('confirmed', decided);
      await finishCancels(await deps.bookings.find({ status: 'cancelled', cancelledAt: trusted({ $gte: since, $lt: settled }) }).lean<BookingDoc[]>(), outcome);
      // What the work lists named up to here has just been looked at.
      await redis.zremrangebyscore(RECONCILE_KEYS.accepted, '-inf', `(${settledAt}`);
      await redis.zremrangebyscore(RECONCILE_KEYS.cancelling, '-inf', `(${settledAt}`);
      // The first full pass leaves its last `settleAfterMs` unread, and requests a process
      // that stopped had accepted there carry no hint (a booking service restarted mid-sale
      // left 27 such requests undecided until the next full pass): one more full pass
      // once they have settled. After that, requests come from live processes, with hints.
      nextFullAt = !firstFullDone && !lostWrites ? now + opts.settleAfterMs : now + opts.fullEveryMs;
      firstFullDone = true;
    } else {
      // A confirmation's email needs no list: the worker queues it, and a worker that
      // died first leaves its job to be retried, which queues it then (settleDecided).
      outcome.requeued = await requeueCandidates(settledAt);
      await finishCancelCandidates(settledAt, outcome);
    }

    lastRunId = runId;
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

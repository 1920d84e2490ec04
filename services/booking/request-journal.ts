import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { REQUEST_TTL_SECONDS, requestKey, type Decision, type RejectionReason } from '../../lib/booking-requests.js';
import type { Logger } from '../../lib/logger.js';
import { BOOKING_JOBS, type ReserveJobData } from '../../lib/queues.js';
import type { RequestStore, StoredAnswer } from './request-store.js';

const SWEEP_EVERY_MS = 2000;
/**
 * An undecided request is looked at in Redis this long after it was queued, then
 * at doubling intervals (capped). Decisions normally arrive on the decisions
 * channel first, so in a rush with a long queue the journal costs Redis almost
 * nothing; the checks are the safety net for a missed message.
 */
const FIRST_CHECK_AFTER_MS = 15_000;
const MAX_CHECK_INTERVAL_MS = 60_000;
/**
 * A decided request is kept this long after its answer was seen: a rejection to
 * write it back, a confirmation to queue it again (see `check`) if Redis loses them.
 */
const KEEP_ANSWERS_MS = 120_000;

interface Entry {
  job: ReserveJobData;
  trackedAt: number;
  /** When this entry is next read back from Redis unless its decision arrives first. */
  checkAt: number;
  checkEveryMs: number;
  /** The rejection, once seen. */
  rejection?: StoredAnswer;
  /** Confirmed: the answer lives on as the booking in MongoDB, but its email job lives in Redis. */
  confirmed?: boolean;
  seenAt?: number;
}

export interface JournalOptions {
  jobAttempts: number;
  jobBackoffMs: number;
  sweepEveryMs?: number;
  keepAnswersMs?: number;
}

export interface SweepOutcome {
  checked: number;
  /** The job was gone from the queue (Redis restarted empty or lost its last writes): queued again. */
  requeued: number;
  /** The request's status was gone: written again (as queued, or with the rejection seen before). */
  rewritten: number;
  /** Redis went back in time, or the connection dropped, since the last sweep: every entry was checked. */
  redisLostWrites: boolean;
}

/**
 * Queues booking requests and remembers the ones this process accepted until
 * they are decided. The queue, the request statuses and the answers live in
 * Redis; if Redis restarts empty (or without its last second of writes), the
 * requests still waiting would have no job, no status and never an answer, and
 * a fan would poll a 404. So after the connection to Redis dropped (a restart or
 * a failover) or Redis is seen to have gone back in time, every request is
 * checked: a lost status is written again and a lost job queued again (same job id, so a
 * job that still exists is not added twice; the worker does not decide a
 * request that already has an answer). Rejections are kept a little longer and
 * written back if Redis forgets them; a confirmation's job is queued again when
 * it is gone, for its email job may be gone with it (its booking in MongoDB
 * answers for the decision itself). Decisions reach the journal on the decisions
 * channel (`decided`); an undecided request is also read back now and then, in
 * case a message was missed. A booking process that dies loses its journal:
 * only both failing together leaves a request unanswered.
 */
export function createRequestJournal(redis: Redis, queue: Queue, requests: RequestStore, logger: Logger, opts: JournalOptions) {
  const sweepEveryMs = opts.sweepEveryMs ?? SWEEP_EVERY_MS;
  const keepAnswersMs = opts.keepAnswersMs ?? KEEP_ANSWERS_MS;
  const entries = new Map<string, Entry>();
  // A counter this process writes at every sweep: reading back an older value
  // (or none) means Redis lost writes, so even answered requests are checked.
  const clockKey = `{booking-journal:${randomUUID()}}:clock`;
  let clock = 0;
  let sweeping: Promise<SweepOutcome> | undefined;
  // Connection drops seen, and how many of them a successful full sweep has covered.
  let drops = 0;
  let dropsCovered = 0;
  redis.on('close', () => drops++);

  const addJob = (job: ReserveJobData) =>
    queue.add(BOOKING_JOBS.reserve, job, {
      jobId: job.requestId,
      attempts: opts.jobAttempts,
      backoff: { type: 'exponential', delay: opts.jobBackoffMs },
      removeOnComplete: { age: 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });

  async function redisWentBack(): Promise<boolean> {
    const seen = await redis.get(clockKey);
    const wentBack = clock > 0 && Number(seen ?? 0) < clock;
    await redis.set(clockKey, String(clock + 1), 'EX', 3600);
    clock++;
    return wentBack;
  }

  /** The first answer seen for an entry, from Redis or the decisions channel; kept KEEP_ANSWERS_MS. */
  function noteAnswer(entry: Entry, status: 'confirmed' | 'rejected', reason: RejectionReason | undefined) {
    if (entry.confirmed || entry.rejection) return;
    entry.seenAt = Date.now();
    if (status === 'confirmed') entry.confirmed = true;
    else entry.rejection = { status, reason: reason as RejectionReason };
  }

  async function check(entry: Entry, outcome: SweepOutcome) {
    const { job } = entry;
    entry.checkEveryMs = Math.min(entry.checkEveryMs * 2, MAX_CHECK_INTERVAL_MS);
    entry.checkAt = Date.now() + entry.checkEveryMs;
    const [[userId, status, reason], jobExists] = await Promise.all([
      redis.hmget(requestKey(job.requestId), 'userId', 'status', 'reason'),
      redis.exists(queue.toKey(job.requestId)),
    ]);
    const request = { requestId: job.requestId, userId: job.userId, concertId: job.concertId, seatTypeId: job.seatTypeId };
    if (status === 'confirmed' || status === 'rejected') {
      // Decided after Redis lost the request: the worker wrote the answer alone (create keeps it).
      if (!userId) await requests.create(request, job.submittedAt);
      noteAnswer(entry, status, reason as RejectionReason);
      // Decided around the loss: the answer may be in this Redis and the email
      // job it queued in the lost one. The job, queued again, queues the email
      // again (the worker does not answer twice; the outbox sends once).
      if (status === 'confirmed' && outcome.redisLostWrites && !jobExists) {
        await addJob({ ...job, requeued: true });
        outcome.requeued++;
      }
      return;
    }
    // A confirmation Redis forgot falls through: its job is queued again, and the
    // worker, finding the booking in the record, confirms it once more and queues
    // its confirmation email again (lost with Redis; the outbox sends it once).
    if (entry.rejection) {
      await requests.restore(request, job.submittedAt, entry.rejection);
      outcome.rewritten++;
      return;
    }
    if (!userId) {
      await requests.create(request, job.submittedAt);
      outcome.rewritten++;
    }
    if (!jobExists) {
      await addJob({ ...job, requeued: true });
      outcome.requeued++;
    }
  }

  async function sweep(): Promise<SweepOutcome> {
    const dropsNow = drops;
    const outcome: SweepOutcome = { checked: 0, requeued: 0, rewritten: 0, redisLostWrites: (await redisWentBack()) || dropsNow > dropsCovered };
    const now = Date.now();
    for (const [id, entry] of entries) {
      // A rejection kept long enough, or a request older than its status would live anyway.
      if ((entry.seenAt && now - entry.seenAt > keepAnswersMs) || now - entry.trackedAt > REQUEST_TTL_SECONDS * 1000) entries.delete(id);
    }
    const due = [...entries.values()].filter((e) => outcome.redisLostWrites || (!e.rejection && !e.confirmed && e.checkAt <= now));
    for (let i = 0; i < due.length; i += 200) {
      await Promise.all(due.slice(i, i + 200).map((entry) => check(entry, outcome)));
      outcome.checked += Math.min(200, due.length - i);
    }
    dropsCovered = dropsNow;
    if (outcome.requeued || outcome.rewritten || outcome.redisLostWrites) logger.warn(outcome, 'booking requests lost by Redis were restored');
    return outcome;
  }

  const sweepSoon = () => {
    sweeping ??= sweep()
      .catch((err) => {
        logger.warn({ err: (err as Error).message }, 'booking request sweep failed; next one in a moment');
        return { checked: 0, requeued: 0, rewritten: 0, redisLostWrites: false };
      })
      .finally(() => (sweeping = undefined));
  };
  const timer = setInterval(sweepSoon, sweepEveryMs);
  timer.unref();
  // Back after a drop: check at once rather than at the next tick, fans are waiting.
  redis.on('ready', () => drops > dropsCovered && sweepSoon());

  return {
    /** Queues the request's job and keeps an eye on it until it is decided. */
    async enqueue(job: ReserveJobData) {
      await addJob(job);
      const now = Date.now();
      entries.set(job.requestId, { job, trackedAt: now, checkAt: now + FIRST_CHECK_AFTER_MS, checkEveryMs: FIRST_CHECK_AFTER_MS });
    },
    /** A decision seen on the decisions channel: kept a while (KEEP_ANSWERS_MS) in case Redis loses it. */
    decided(decision: Decision) {
      const entry = entries.get(decision.requestId);
      if (entry) noteAnswer(entry, decision.status, decision.reason);
    },
    /**
     * What this process knows of a request Redis has no status for: still queued,
     * or its rejection. Between Redis losing a status and the next sweep writing it
     * back, the fan is told this rather than 404.
     */
    lookup(requestId: string): { userId: string; status: 'queued' | 'confirmed' | 'rejected'; reason?: RejectionReason } | undefined {
      const entry = entries.get(requestId);
      if (!entry) return undefined;
      if (entry.confirmed) return { userId: entry.job.userId, status: 'confirmed' };
      return entry.rejection ? { userId: entry.job.userId, ...entry.rejection } : { userId: entry.job.userId, status: 'queued' };
    },
    /** One sweep now (tests); the timer runs one every few seconds. */
    sweep,
    get size() {
      return entries.size;
    },
    async stop() {
      clearInterval(timer);
      await sweeping;
    },
  };
}

export type RequestJournal = ReturnType<typeof createRequestJournal>;

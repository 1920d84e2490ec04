import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import mongoose from 'mongoose';
import { QUEUES } from '../../../lib/queues.js';
import { openRedis } from '../../../lib/redis.js';
import { ROOT } from '../../../scripts/stack/processes.js';
import type { QueuedBooking } from '../../support/api-types.js';
import { createConcert, mintFans, type Fan } from '../../support/fans.js';
import { checkInvariants, type InvariantReport } from '../../support/invariants.js';
import type { TestPlatform } from '../../support/test-platform.js';
import { AnswerBook, type StormRequest } from './answers.js';
import { SocketFans } from './socket-fans.js';

export const RELIABILITY_DIR = path.join(ROOT, 'test-output/reliability');

/** What a scenario's fault function can use while the storm runs. */
export interface FaultContext {
  platform: TestPlatform;
  concertId: string;
  /** The bookings queue (for counting what was in flight). */
  queue: Queue;
  confirmedCount: () => Promise<number>;
  /** When the paused queue was resumed (the decisions began). */
  resumedAt: number;
}

/** When the fault began and when the failed part was back (ms since epoch), and facts worth keeping. */
export interface FaultWindow {
  startedAt: number;
  endedAt: number;
  details?: Record<string, unknown>;
}

export interface StormScenario {
  /** File name of the report: test-output/reliability/<name>.json */
  name: string;
  /** One sentence: what is broken, when, and how it comes back. */
  fault: string;
  platform: TestPlatform;
  admin: string;
  fans?: number;
  seatTypes?: Array<{ name: string; capacity: number }>;
  /** The fault starts once this many bookings are confirmed, with most of the queue still to decide. */
  faultAfterConfirmed?: number;
  /** Breaks something and brings it back; resolves when it is back. Omitted: a storm without a fault. */
  injectFault?: (ctx: FaultContext) => Promise<FaultWindow>;
  /** How fans learn their answers: polling REST, or a Socket.IO connection with REST as the fallback. */
  listen?: 'rest' | 'socket';
  /** Reasons a rejection may give besides sold_out. */
  alsoAllowed?: string[];
  /** How long after the fault ended (or the storm started) every request must have its answer. */
  answerTimeoutMs?: number;
}

export interface StormResult {
  report: ReliabilityReport;
  /** Everything that must be empty or zero for "every request has exactly one final answer". */
  problems: string[];
  invariants?: InvariantReport;
  fans: Fan[];
  concertId: string;
  /** When each request's answer was published (its decidedAt in Redis), for scenario-specific figures. */
  decidedAt: Map<string, number>;
}

export interface ReliabilityReport {
  scenario: string;
  fault: string;
  definitions: Record<string, string>;
  requests: number;
  answered: number;
  confirmed: number;
  rejected: Record<string, number>;
  lost: number;
  duplicates: number;
  forgotten: number;
  confirmedWithoutRecord: number;
  recordedWithoutConfirmation: number;
  recoverMs: number | null;
  lastAnswerAfterFaultMs: number | null;
  durationMs: number;
  decisionsPerSecond: number | null;
  decisionLatencyMs: { p50: number | null; p95: number | null; max: number | null };
  answeredVia: Record<string, number>;
  decidedAfterFault: number;
  confirmedAfterFault: number;
  answeredViaAfterFault: Record<string, number>;
  faultWindow: { startedAtMs: number; endedAtMs: number; details: Record<string, unknown> } | null;
  /** 'hold', or how checkInvariants failed. */
  invariants: string;
  [extra: string]: unknown;
}

const DEFINITIONS = {
  requests: 'booking requests submitted (POST /api/v1/bookings answered 202), one per fan',
  answered: 'requests with a final answer (confirmed, or rejected with a reason) seen by their fan',
  lost: 'requests without a final answer when the answer deadline passed (must be 0)',
  duplicates: 'requests answered twice: a second booking:result event, or a later read that said something else (must be 0)',
  forgotten: 'requests whose answer could no longer be read (404 or queued) after the storm (must be 0)',
  confirmedWithoutRecord: 'confirmed answers with no confirmed booking in MongoDB (must be 0)',
  recordedWithoutConfirmation: 'confirmed bookings in MongoDB whose request was not answered confirmed (must be 0)',
  recoverMs:
    'from the moment the fault ended (the failed part answers again) to the next booking confirmed to a fan (decidedAt of the request); null when none was left to confirm',
  lastAnswerAfterFaultMs: 'from the fault ending to the last request answered, as the fans observed it',
  durationMs: 'from the first submission to the last answer observed by a fan',
  decisionsPerSecond: 'decisions (confirmed + rejected) per second between the first and the last decision',
  decisionLatencyMs: 'submit to decision per request; the storm is queued at once, so it is dominated by the wait in the queue',
  invariants:
    '"hold" when checkInvariants passed (no seat sold twice, no fan with two tickets, Redis stock = capacity - confirmed in MongoDB), else the failure',
};

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 25) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Runs one 1,000-fan booking storm with a fault in the middle and measures what
 * the fans saw. The storm: every fan submits at once while the bookings queue is
 * paused (so every request is queued and none is refused early), then the queue
 * resumes and, once `faultAfterConfirmed` bookings are confirmed, the fault is
 * injected while most of the queue is still undecided. Afterwards every request
 * must have exactly one final answer that agrees with the record, and the
 * invariants must hold. Writes test-output/reliability/<name>.json and prints
 * one summary line; the caller asserts on `problems`.
 */
export async function runStormWithFault(scenario: StormScenario): Promise<StormResult> {
  const { platform, admin } = scenario;
  const seatTypes = scenario.seatTypes ?? [
    { name: 'Floor', capacity: 150 },
    { name: 'Balcony', capacity: 150 },
  ];
  const capacity = seatTypes.reduce((n, s) => n + s.capacity, 0);
  const concert = await createConcert(platform, admin, { seatTypes });
  const fans = mintFans(platform, scenario.fans ?? 1000);
  const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  const queueConnection = openRedis(platform.redisUrl, { maxRetriesPerRequest: null });
  queueConnection.on('error', () => undefined);
  const queue = new Queue(QUEUES.bookings.name, { connection: queueConnection, prefix: QUEUES.bookings.prefix });
  const confirmedCount = () => db.collection('bookings').countDocuments({ concertId: concert.id, status: 'confirmed' });
  const requests = new Map<string, StormRequest>();
  const book = new AnswerBook(requests);
  let sockets: SocketFans | undefined;
  // Set when the storm ends early (a failed step): the fans stop polling, or the test process would never exit.
  let abandoned = false;

  try {
    if (scenario.listen === 'socket') sockets = await SocketFans.connect(platform.gatewayUrl, platform.api, fans, book);

    await queue.pause();
    const stormStartedAt = Date.now();
    const submitted = await Promise.all(
      fans.map(async (fan, i) => {
        const submittedAt = Date.now();
        const res = await platform.api.post<QueuedBooking>(
          '/api/v1/bookings',
          { concertId: concert.id, seatTypeId: concert.seatTypes[i % seatTypes.length].id },
          fan.token,
        );
        assert.equal(res.status, 202, `submission: ${res.status} ${JSON.stringify(res.body)}`);
        const request: StormRequest = { requestId: res.body.requestId, fanToken: fan.token, submittedAt };
        sockets?.submitted(fan.id, request);
        return request;
      }),
    );
    for (const r of submitted) requests.set(r.requestId, r);
    await queue.resume();
    const resumedAt = Date.now();

    // Fans learn their answers while the fault happens.
    let faultWindow: FaultWindow | undefined;
    const answerDeadline = () => (faultWindow?.endedAt ?? Date.now()) + (scenario.answerTimeoutMs ?? 90_000);
    let faultDone = false;
    const listening = (async () => {
      if (scenario.listen === 'socket') {
        // REST is the fallback for a fan who has heard nothing for a while.
        const quietFor = (r: StormRequest) => Date.now() - Math.max(r.submittedAt, faultWindow?.endedAt ?? 0) > 15_000;
        while (!abandoned && book.open.length && (!faultDone || Date.now() < answerDeadline())) {
          await book.pollUntilAnswered(platform.api, Math.min(Date.now() + 1000, answerDeadline()), quietFor);
          await new Promise((r) => setTimeout(r, 500));
        }
      } else {
        while (!abandoned && book.open.length && (!faultDone || Date.now() < answerDeadline()))
          await book.pollUntilAnswered(platform.api, faultDone ? answerDeadline() : Date.now() + 1000);
      }
    })();

    if (scenario.injectFault) {
      const after = scenario.faultAfterConfirmed ?? 30;
      await waitUntil(`${after} confirmed bookings`, async () => (await confirmedCount()) >= after, 60_000);
      faultWindow = await scenario.injectFault({ platform, concertId: concert.id, queue, confirmedCount, resumedAt });
    }
    faultDone = true;
    await listening;
    const lastAnswerAt = Math.max(0, ...[...book.first.values()].map((a) => a.at));

    // Exactly one final answer each, agreeing with the record.
    const lost = book.open.map((r) => r.requestId);
    const { forgotten } = await book.verify(platform.api);
    const recorded = await db
      .collection('bookings')
      .find({ concertId: concert.id, status: 'confirmed' }, { projection: { _id: 1 } })
      .toArray();
    const recordedIds = new Set(recorded.map((b) => String(b._id)));
    const confirmedAnswers = [...book.first].filter(([, a]) => a.status === 'confirmed');
    const confirmedIds = new Set(confirmedAnswers.map(([, a]) => a.bookingId ?? ''));
    const confirmedWithoutRecord = [...confirmedIds].filter((id) => !recordedIds.has(id));
    const recordedWithoutConfirmation = [...recordedIds].filter((id) => !confirmedIds.has(id));

    let invariants: InvariantReport | undefined;
    let invariantsVerdict = 'hold';
    try {
      invariants = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    } catch (err) {
      invariantsVerdict = (err as Error).message;
    }

    // When each request was accepted and decided, from the record, for rates and recovery.
    const decided = new Map<string, { decidedAt: number; submittedAt: number }>();
    const accepted = new Map<string, number>();
    for (const r of await db
      .collection('booking_requests')
      .find({ concertId: concert.id }, { projection: { submittedAt: 1 } })
      .toArray()) {
      accepted.set(String(r._id), (r.submittedAt as Date).getTime());
    }
    for (const d of await db
      .collection('bookings')
      .find({ concertId: concert.id }, { projection: { createdAt: 1 } })
      .toArray()) {
      const id = String(d._id);
      if (!requests.has(id)) continue;
      decided.set(id, { decidedAt: (d.createdAt as Date).getTime(), submittedAt: accepted.get(id) ?? requests.get(id)!.submittedAt });
    }
    const decisionTimes = [...decided.values()].map((d) => d.decidedAt).sort((a, b) => a - b);
    const latencies = [...decided.values()].map((d) => d.decidedAt - d.submittedAt).sort((a, b) => a - b);
    const nextConfirmed = faultWindow
      ? confirmedAnswers
          .map(([id]) => decided.get(id)?.decidedAt)
          .filter((t): t is number => t !== undefined && t >= faultWindow.endedAt)
          .sort((a, b) => a - b)[0]
      : undefined;

    const rejected: Record<string, number> = {};
    for (const a of book.first.values()) if (a.status === 'rejected') rejected[a.reason ?? '?'] = (rejected[a.reason ?? '?'] ?? 0) + 1;
    const answeredVia: Record<string, number> = {};
    for (const a of book.first.values()) answeredVia[a.via] = (answeredVia[a.via] ?? 0) + 1;
    const decidedAfterFault = faultWindow ? [...decided].filter(([, d]) => d.decidedAt >= faultWindow.endedAt) : [];
    const confirmedAfterFault = decidedAfterFault.filter(([id]) => book.first.get(id)?.status === 'confirmed').length;
    const answeredViaAfterFault: Record<string, number> = {};
    for (const [id] of decidedAfterFault) {
      const via = book.first.get(id)?.via ?? 'none';
      answeredViaAfterFault[via] = (answeredViaAfterFault[via] ?? 0) + 1;
    }

    const report: ReliabilityReport = {
      scenario: scenario.name,
      fault: scenario.fault,
      definitions: DEFINITIONS,
      requests: requests.size,
      answered: book.first.size,
      confirmed: confirmedAnswers.length,
      rejected,
      lost: lost.length,
      duplicates: book.duplicates.length,
      forgotten: forgotten.length,
      confirmedWithoutRecord: confirmedWithoutRecord.length,
      recordedWithoutConfirmation: recordedWithoutConfirmation.length,
      recoverMs: nextConfirmed !== undefined && faultWindow ? nextConfirmed - faultWindow.endedAt : null,
      lastAnswerAfterFaultMs: faultWindow && lastAnswerAt ? Math.max(0, lastAnswerAt - faultWindow.endedAt) : null,
      durationMs: (lastAnswerAt || Date.now()) - stormStartedAt,
      decisionsPerSecond: decisionTimes.length > 1 ? Math.round((decisionTimes.length / Math.max(1, decisionTimes.at(-1)! - decisionTimes[0])) * 1000) : null,
      decisionLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: latencies.at(-1) ?? null },
      answeredVia,
      decidedAfterFault: decidedAfterFault.length,
      confirmedAfterFault,
      answeredViaAfterFault,
      faultWindow: faultWindow
        ? { startedAtMs: faultWindow.startedAt - stormStartedAt, endedAtMs: faultWindow.endedAt - stormStartedAt, details: faultWindow.details ?? {} }
        : null,
      invariants: invariantsVerdict,
      seats: { capacity, seatTypes: Object.fromEntries(seatTypes.map((s) => [s.name, s.capacity])) },
      ...(sockets
        ? {
            sockets: {
              fans: fans.length,
              resultEvents: sockets.events,
              disconnects: sockets.disconnects,
              reconnects: sockets.reconnects,
              connectedAtEnd: sockets.connected,
            },
          }
        : {}),
      restReads: { unknown: book.unknownReads, failed: book.failedReads },
    };

    const allowed = new Set(['sold_out', ...(scenario.alsoAllowed ?? [])]);
    const problems = [
      ...lost.slice(0, 5).map((id) => `request ${id} has no final answer`),
      ...(lost.length > 5 ? [`…and ${lost.length - 5} more without a final answer`] : []),
      ...book.duplicates.slice(0, 5).map((id) => `request ${id} was answered more than once`),
      ...forgotten.slice(0, 5).map((id) => `request ${id}'s answer could not be read again`),
      ...confirmedWithoutRecord.slice(0, 5).map((id) => `booking ${id} was confirmed to its fan but is not in MongoDB`),
      ...recordedWithoutConfirmation.slice(0, 5).map((id) => `booking ${id} is in MongoDB but its fan was not told confirmed`),
      ...Object.keys(rejected)
        .filter((reason) => !allowed.has(reason))
        .map((reason) => `${rejected[reason]} requests rejected with ${reason}`),
      ...(report.confirmed === capacity ? [] : [`${report.confirmed} confirmed, expected every one of the ${capacity} seats sold to ${fans.length} fans`]),
      ...(invariantsVerdict === 'hold' ? [] : [`invariants: ${invariantsVerdict}`]),
    ];
    return { report, problems, invariants, fans, concertId: concert.id, decidedAt: new Map([...decided].map(([id, d]) => [id, d.decidedAt])) };
  } finally {
    abandoned = true;
    sockets?.close();
    await queue.close();
    queueConnection.disconnect();
    await db.close();
  }
}

/** Writes the scenario's figures as JSON and prints one summary line. */
export function writeReliabilityReport(report: ReliabilityReport) {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  writeFileSync(path.join(RELIABILITY_DIR, `${report.scenario}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const rejected = Object.entries(report.rejected)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  process.stdout.write(
    `reliability ${report.scenario}: ${report.requests} requests, ${report.answered} answered (${report.confirmed} confirmed; rejected ${rejected || 'none'}), ` +
      `lost ${report.lost}, duplicates ${report.duplicates}, recover ${report.recoverMs ?? '-'} ms, last answer ${report.lastAnswerAfterFaultMs ?? '-'} ms after the fault, ` +
      `duration ${report.durationMs} ms, invariants ${report.invariants === 'hold' ? 'hold' : 'BROKEN'}\n`,
  );
}

/**
 * `npm run bench:fairness`: the waiting room's fairness and ETA figures (issue 15),
 * over HTTP against a local platform (real Redis running the real Lua scripts):
 *   - FIFO: Kendall tau distance between join order and admission order of fans who
 *     join an open line (fans join in sequential batches; a batch, or one tick's
 *     admissions, has no order to keep, so ties are not counted);
 *   - the pre-queue draw: chi-square of join decile against drawn position decile,
 *     and of the draw scores over 100 equal buckets;
 *   - ETA error: 30 % of the fans abandon (never poll again), the rest poll often
 *     enough to keep their place; etaSeconds quoted at one moment to fans at the
 *     25/50/75/95 % places of the line, against the time until their admission;
 *   - status latency at BENCH_POLLS_PER_SECOND (500) for BENCH_POLL_SECONDS (20);
 *   - a soak: admissions per second against the setting over BENCH_SOAK_SECONDS
 *     (150; 900 for the 15-minute figure), and the waiting-room process's RSS.
 * Admission times are read from the line's `admittedAt` hash in Redis (the tick's
 * Redis time), not from polling, so they are exact to the tick.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { Types } from 'mongoose';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../lib/auth-middleware.js';
import { openRedis } from '../lib/redis.js';
import { waitingRoomKeys } from '../lib/waiting-room-keys.js';
import { freePort } from '../scripts/stack/processes.js';
import { ROOT, startPlatform, type Platform } from '../scripts/stack/platform.js';
import { ApiClient } from '../test/support/test-platform.js';
import { chiSquareCritical, chiSquareIndependence, chiSquarePValue, kendallTauDistance, quantile } from './fairness-stats.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FANS = env('BENCH_FANS', 10_000);
const JOIN_BATCH = env('BENCH_JOIN_BATCH', 100);
const ETA_RATE = env('BENCH_ETA_ADMIT_PER_SECOND', 100);
const ABANDON_SHARE = 0.3;
const GRACE_SECONDS = env('BENCH_GRACE_SECONDS', 30);
const KEEPALIVE_MS = env('BENCH_KEEPALIVE_MS', 20_000);
const ETA_SAMPLE = env('BENCH_ETA_SAMPLE', 50);
const POLLS_PER_SECOND = env('BENCH_POLLS_PER_SECOND', 500);
const POLL_SECONDS = env('BENCH_POLL_SECONDS', 20);
const SOAK_SECONDS = env('BENCH_SOAK_SECONDS', 150);
const SOAK_RATE = env('BENCH_SOAK_ADMIT_PER_SECOND', 20);
const DRAW_OPENS_IN_SECONDS = env('BENCH_DRAW_OPENS_IN_SECONDS', 150);

const log = (m: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Fan {
  id: string;
  token: string;
}
interface Status {
  status: string;
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
}

function rssOf(pid: number | undefined): number {
  if (!pid) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The platform's public API through the edge (the tests' client). */
const http = <T>(platform: Platform, method: string, url: string, token?: string, body?: unknown) =>
  new ApiClient(platform.gatewayUrl).request<T>(method, url, { token, body });

const platform = await (async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-bench-fair-'));
  const outputDir = path.join(ROOT, 'test-output', 'bench-fairness');
  mkdirSync(outputDir, { recursive: true });
  log(
    `starting the platform (logs in ${path.relative(ROOT, outputDir)}); load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const p = await startPlatform({
    dataDir,
    gatewayPort: await freePort(),
    output: (svc) => ({ kind: 'file', path: path.join(outputDir, `${svc}.log`) }),
    // Every benchmark fan joins from 127.0.0.1: the per-IP join limit would stop the benchmark.
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', WAITING_ROOM_JOIN_LIMIT_PER_IP: '100000000', REGISTER_LIMIT_PER_IP: '100000000' },
  });
  return Object.assign(p, { dataDir });
})();
const redis = openRedis(platform.redisUrl);
const results: Array<[string, string, string]> = [];

try {
  const admin = (await http<{ accessToken: string }>(platform, 'POST', '/api/v1/auth/login', undefined, platform.admin)).body.accessToken;
  const privateKey = readFileSync(path.join(platform.dataDir, 'jwt-private.pem'), 'utf8');
  const makeFans = (n: number): Fan[] =>
    Array.from({ length: n }, () => {
      const id = new Types.ObjectId().toHexString();
      const token = jwt.sign({ role: 'fan', email: `bench-${id}@bench.local` }, privateKey, {
        algorithm: 'RS256',
        subject: id,
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        expiresIn: 4 * 3600,
      });
      return { id, token };
    });
  const createConcert = async (name: string, waitingRoom: Record<string, unknown>) => {
    const res = await http<{ id: string }>(platform, 'POST', '/api/v1/concerts', admin, {
      name,
      venue: 'Bench Arena',
      startsAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
      seatTypes: [{ name: 'Floor', price: 10, capacity: 100_000 }],
      waitingRoom: { enabled: true, ...waitingRoom },
    });
    if (res.status !== 201) throw new Error(`concert not created: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  /** Joins in sequential batches; returns each fan's batch (its join order; a batch is one tie). */
  const joinAll = async (concertId: string, fans: Fan[], afterJoin?: (fan: Fan) => void) => {
    const batchOf = new Map<string, number>();
    const latencies: number[] = [];
    for (let b = 0; b * JOIN_BATCH < fans.length; b++) {
      await Promise.all(
        fans.slice(b * JOIN_BATCH, (b + 1) * JOIN_BATCH).map(async (fan) => {
          const started = performance.now();
          const res = await http(platform, 'POST', `/api/v1/waiting-room/${concertId}/join`, fan.token);
          latencies.push(performance.now() - started);
          if (res.status >= 300) throw new Error(`join refused: ${res.status} ${JSON.stringify(res.body)}`);
          batchOf.set(fan.id, b);
          afterJoin?.(fan);
        }),
      );
    }
    return { batchOf, latencies: latencies.sort((a, b) => a - b) };
  };

  const fans = makeFans(FANS);
  const fanById = new Map(fans.map((f) => [f.id, f]));

  // 1. The pre-queue draw: everyone joins before opening.
  const drawOpensAtMs = Date.now() + DRAW_OPENS_IN_SECONDS * 1000;
  const drawConcert = await createConcert('Fairness bench: draw', { opensAt: new Date(drawOpensAtMs).toISOString(), admitPerSecond: 1 });
  log(`draw: ${FANS} fans join before opening…`);
  const draw = await joinAll(drawConcert, fans);
  if (Date.now() > drawOpensAtMs - 2000) throw new Error('the joins took longer than BENCH_DRAW_OPENS_IN_SECONDS: raise it');
  const scores = await redis.zrange(waitingRoomKeys(drawConcert).preQueue, 0, -1, 'WITHSCORES');
  log(`draw: ${FANS} joined (join p50 ${quantile(draw.latencies, 0.5).toFixed(0)} ms); ${scores.length / 2} in the pre-queue`);

  // 2. FIFO and ETA: an open line, 30 % of the fans abandon after joining.
  const etaConcert = await createConcert('Fairness bench: FIFO and ETA', { admitPerSecond: ETA_RATE, graceSeconds: GRACE_SECONDS });
  const keys = waitingRoomKeys(etaConcert);
  const abandoners = new Set(fans.filter((_, i) => i % 10 < ABANDON_SHARE * 10).map((f) => f.id));
  const nextPoll = new Map<string, number>();
  const admittedAt = new Map<string, number>();
  let zeroEtaWithFansAhead = 0;
  let polls = 0;
  let stopPolling = false;
  const poll = async (fan: Fan) => {
    const res = await http<Status>(platform, 'GET', `/api/v1/waiting-room/${etaConcert}/status`, fan.token);
    polls++;
    if (res.body?.status === 'waiting' && res.body.etaSeconds === 0 && (res.body.ahead ?? 0) > 0) zeroEtaWithFansAhead++;
    return res.body;
  };
  // Stayers show signs of life every KEEPALIVE_MS (within the grace period); admission times come from Redis.
  const keepAlive = (async () => {
    while (!stopPolling) {
      const now = Date.now();
      const due = [...nextPoll].filter(([id, at]) => at <= now && !admittedAt.has(id)).map(([id]) => id);
      for (const id of due) nextPoll.set(id, now + KEEPALIVE_MS);
      await Promise.all(due.map((id) => poll(fanById.get(id)!).catch(() => undefined)));
      const admitted = await redis.hgetall(keys.admittedAt);
      for (const [id, at] of Object.entries(admitted)) if (!admittedAt.has(id)) admittedAt.set(id, Number(at));
      await sleep(200);
    }
  })();
  log(`FIFO/ETA: ${FANS} fans join an open line admitting ${ETA_RATE}/s (grace ${GRACE_SECONDS} s, ${abandoners.size} abandon)…`);
  const fifo = await joinAll(etaConcert, fans, (fan) => {
    if (!abandoners.has(fan.id)) nextPoll.set(fan.id, Date.now() + KEEPALIVE_MS);
  });
  // Quote ETAs to stayers at the 25/50/75/95 % places of those still waiting, at two moments.
  const quoted: Array<{ moment: string; q: number; fanId: string; eta: number; atMs: number }> = [];
  const quoteEtas = async (moment: string) => {
    const positions = await redis.hmget(keys.positions, ...fans.map((f) => f.id));
    const serving = Number(await redis.hget(keys.state, 'serving'));
    const waiting = fans
      .map((fan, i) => ({ fan, position: Number(positions[i]) }))
      .filter((f) => f.position > serving && !abandoners.has(f.fan.id) && !admittedAt.has(f.fan.id))
      .sort((a, b) => a.position - b.position);
    for (const q of [0.25, 0.5, 0.75, 0.95]) {
      const at = Math.floor(waiting.length * q);
      const sample = waiting.slice(Math.max(0, at - ETA_SAMPLE / 2), at + ETA_SAMPLE / 2);
      await Promise.all(
        sample.map(async ({ fan }) => {
          const atMs = Date.now();
          const s = await poll(fan);
          if (s?.status === 'waiting' && s.etaSeconds !== null) quoted.push({ moment, q, fanId: fan.id, eta: s.etaSeconds, atMs });
        }),
      );
    }
    return waiting;
  };
  // When everyone has joined, nobody has abandoned yet as far as the line can tell (a fan is
  // dropped a grace period after the last sign of life): the quote is the upper bound.
  const waitingStayers = await quoteEtas('at the end of the joins');
  // One grace period later the front has met the first abandoners' gaps, and the ETA scales by them.
  await sleep(GRACE_SECONDS * 1000);
  await quoteEtas('a grace period later');
  log(`FIFO/ETA: all joined; ${waitingStayers.length} stayers still waiting; waiting for their admission…`);
  const deadline = Date.now() + 15 * 60_000;
  while (waitingStayers.some((f) => !admittedAt.has(f.fan.id)) && Date.now() < deadline) await sleep(1000);
  stopPolling = true;
  await keepAlive;

  const admittedFans = fans.filter((f) => admittedAt.has(f.id));
  const tau = kendallTauDistance(
    admittedFans.map((f) => fifo.batchOf.get(f.id)!),
    admittedFans.map((f) => admittedAt.get(f.id)!),
  );
  const stayersNotAdmitted = waitingStayers.filter((f) => !admittedAt.has(f.fan.id)).length;
  results.push([
    'FIFO: Kendall tau distance (join batch vs admission tick)',
    `${tau.discordant} of ${tau.comparable} pairs (${admittedFans.length} admitted)`,
    '0',
  ]);
  results.push(['FIFO: stayers never admitted', String(stayersNotAdmitted), '0']);
  const abandonedAdmitted = [...abandoners].filter((id) => admittedAt.has(id)).length;
  results.push(['abandoners admitted before their grace ran out', `${abandonedAdmitted} of ${abandoners.size}`, '-']);
  for (const moment of ['at the end of the joins', 'a grace period later'])
    for (const q of [0.25, 0.5, 0.75, 0.95]) {
      const pairs = quoted
        .filter((qt) => qt.moment === moment && qt.q === q && admittedAt.has(qt.fanId))
        .map((qt) => ({ eta: qt.eta, actual: (admittedAt.get(qt.fanId)! - qt.atMs) / 1000 }))
        .filter((x) => x.actual > 0);
      const rel = pairs.map((x) => Math.abs(x.eta - x.actual) / x.actual).sort((a, b) => a - b);
      const signed = pairs.map((x) => x.eta - x.actual).sort((a, b) => a - b);
      results.push([
        `ETA quoted ${moment}, ${q * 100} % place: median |error| (median signed, s)`,
        `${pct(quantile(rel, 0.5))} (${quantile(signed, 0.5) >= 0 ? '+' : ''}${quantile(signed, 0.5).toFixed(1)} s, n=${rel.length})`,
        '≤ 20 %',
      ]);
    }
  results.push(['ETA 0 while fans were ahead', `${zeroEtaWithFansAhead} of ${polls} polls`, '0']);

  // 3. The draw, once the line has opened.
  while (Date.now() < drawOpensAtMs + 3000) await sleep(500);
  const drawn = await redis.hmget(waitingRoomKeys(drawConcert).positions, ...fans.map((f) => f.id));
  const decile = (rank: number, n: number) => Math.min(9, Math.floor((rank * 10) / n));
  const table = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const joinRank = new Map([...fans].map((f, i) => [f.id, i]));
  const placed = fans.map((f, i) => ({ f, position: Number(drawn[i]) })).filter((x) => x.position > 0);
  const minPosition = Math.min(...placed.map((x) => x.position));
  for (const { f, position } of placed) table[decile(joinRank.get(f.id)!, placed.length)][decile(position - minPosition, placed.length)]++;
  const independence = chiSquareIndependence(table);
  results.push([
    `draw: chi-square join decile x position decile (${placed.length} fans, df ${independence.df})`,
    `${independence.statistic.toFixed(1)}, p = ${chiSquarePValue(independence.statistic, independence.df).toFixed(3)}`,
    `< ${chiSquareCritical(independence.df).toFixed(1)} (0.01)`,
  ]);
  const buckets = new Array<number>(100).fill(0);
  for (let i = 1; i < scores.length; i += 2) buckets[Math.min(99, Math.floor((Number(scores[i]) / 2 ** 48) * 100))]++;
  const expected = scores.length / 2 / 100;
  const gof = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
  results.push([
    `draw: chi-square of the scores over 100 buckets (${scores.length / 2} draws, df 99)`,
    `${gof.toFixed(1)}, p = ${chiSquarePValue(gof, 99).toFixed(3)}`,
    `< ${chiSquareCritical(99).toFixed(1)} (0.01)`,
  ]);

  // 4. Status latency at a steady poll rate (open loop: a slow answer does not slow the next request).
  log(`status: ${POLLS_PER_SECOND} polls/s for ${POLL_SECONDS} s…`);
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Array<Promise<void>> = [];
  const pollStarted = Date.now();
  for (let sent = 0; sent < POLLS_PER_SECOND * POLL_SECONDS; sent++) {
    const dueAt = pollStarted + (sent * 1000) / POLLS_PER_SECOND;
    if (dueAt > Date.now()) await sleep(dueAt - Date.now());
    const fan = fans[Math.floor(Math.random() * fans.length)];
    const started = performance.now();
    inFlight.push(
      http(platform, 'GET', `/api/v1/waiting-room/${drawConcert}/status`, fan.token)
        .then((r) => {
          if (r.status === 200) latencies.push(performance.now() - started);
          else failures++;
        })
        .catch(() => void failures++),
    );
  }
  await Promise.all(inFlight);
  const achieved = (POLLS_PER_SECOND * POLL_SECONDS) / ((Date.now() - pollStarted) / 1000);
  latencies.sort((a, b) => a - b);
  results.push([
    `status over HTTP at ${POLLS_PER_SECOND}/s for ${POLL_SECONDS} s: p50 / p95 / p99`,
    `${quantile(latencies, 0.5).toFixed(0)} / ${quantile(latencies, 0.95).toFixed(0)} / ${quantile(latencies, 0.99).toFixed(0)} ms (${achieved.toFixed(0)}/s achieved, ${failures} failed)`,
    '-',
  ]);

  // 5. Soak: a line longer than the soak, admitting SOAK_RATE per second.
  const soakFans = makeFans(Math.ceil(SOAK_RATE * SOAK_SECONDS * 1.3) + 200);
  const soakConcert = await createConcert('Fairness bench: soak', { admitPerSecond: SOAK_RATE, graceSeconds: SOAK_SECONDS + 600, claimWindowSeconds: 30 });
  log(`soak: ${soakFans.length} fans join a line admitting ${SOAK_RATE}/s, then ${SOAK_SECONDS} s…`);
  await joinAll(soakConcert, soakFans);
  const roomPid = platform.services.get('waiting-room')?.child?.pid;
  const soakState = waitingRoomKeys(soakConcert).state;
  const rssStart = rssOf(roomPid);
  const startServing = Number(await redis.hget(soakState, 'serving'));
  const soakStarted = Date.now();
  const windows: number[] = [];
  let lastServing = startServing;
  while (Date.now() - soakStarted < SOAK_SECONDS * 1000) {
    await sleep(10_000);
    const now = Number(await redis.hget(soakState, 'serving'));
    windows.push((now - lastServing) / 10);
    lastServing = now;
  }
  const soakRate = (lastServing - startServing) / ((Date.now() - soakStarted) / 1000);
  const rssEnd = rssOf(roomPid);
  windows.sort((a, b) => a - b);
  results.push([
    `soak ${SOAK_SECONDS} s: admissions/s (min-max of 10 s windows)`,
    `${soakRate.toFixed(2)} (${windows[0]?.toFixed(1)}-${windows.at(-1)?.toFixed(1)}), setting ${SOAK_RATE}`,
    `${SOAK_RATE}`,
  ]);
  results.push(['soak: waiting-room RSS start -> end', `${mb(rssStart)} -> ${mb(rssEnd)}`, '-']);

  const width = Math.max(...results.map((r) => r[0].length));
  const valueWidth = Math.max(...results.map((r) => r[1].length));
  process.stdout.write(`\n${'figure'.padEnd(width)} | ${'measured'.padEnd(valueWidth)} | target\n`);
  for (const [name, value, target] of results) process.stdout.write(`${name.padEnd(width)} | ${value.padEnd(valueWidth)} | ${target}\n`);
  process.stdout.write(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (${os.cpus().length} CPUs)\n`,
  );
} finally {
  redis.disconnect();
  await platform.stop();
}

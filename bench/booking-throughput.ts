/**
 * `npm run bench`: decided bookings per second for a burst of distinct fans,
 *   1. through the whole path (HTTP via the gateway → queue → Lua → MongoDB batch
 *      → Socket.IO emit + decision publish + email job), and
 *   2. through BullMQ + reserve-seat-3.lua alone (the ceiling of this design here),
 * in the same run, with their ratio, and the server CPU each platform process spent
 * per decided booking on the full path (utime + stime from /proc, so the driver and
 * the benchmark's own clients are not counted). The first run is the cold one (the
 * first burst after start). Each process's RSS is printed before the first burst and
 * after the last. Usage: npm run bench -- [fans=5000] [runs=3]
 * BENCH_ENV="NAME=value NAME=value": more environment for every service (to compare settings).
 * BENCH_PRIME_FANS=<n>: one unreported burst of n fans first, so run 1 is no longer the first
 * burst after start (the most a warm-up at start could give it).
 * BENCH_CPU_PROF=<dir>: every server process writes a V8 CPU profile there at exit
 * (summarise with `node --import tsx bench/cpu-profile-top.ts <dir>`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { createInventory } from '../lib/inventory/inventory.js';
import { ReserveCode } from '../lib/inventory/inventory-codes.js';
import { freePort } from '../scripts/stack/processes.js';
import { cpuSnapshot, rssLine, rssSnapshot } from './support/process-stats.js';
import { startPlatform } from '../scripts/stack/platform.js';
import { adminToken, createConcert, mintFans } from '../test/support/fans.js';
import { ApiClient, type TestPlatform } from '../test/support/test-platform.js';
import { waitForQueueIdle } from '../test/support/invariants.js';
import { checkInvariants } from '../test/support/invariants.js';

const FANS = Number(process.argv[2] ?? 5000);
const PRIME_FANS = Number(process.env.BENCH_PRIME_FANS ?? 0);
const RUNS = Number(process.argv[3] ?? 3);
const IN_FLIGHT = 256;
const SOCKET_SAMPLE = 100;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function fullPath(platform: TestPlatform, admin: string, burst = FANS) {
  const seatsPerType = Math.floor((burst * 0.8) / 3);
  const concert = await createConcert(platform, admin, { seatTypes: ['A', 'B', 'C'].map((name) => ({ name, capacity: seatsPerType })) });
  const fans = mintFans(platform, burst);
  // A sample of fans listen on Socket.IO, as real fans would, to time submit→result.
  const sockets: Socket[] = [];
  const submittedAt = new Map<string, number>();
  const socketLatencies: number[] = [];
  await Promise.all(
    fans.slice(0, SOCKET_SAMPLE).map(
      (fan) =>
        new Promise<void>((resolve, reject) => {
          const socket = connect(platform.gatewayUrl, { path: '/socket.io', auth: { token: fan.token }, transports: ['websocket'] });
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
          socket.on('booking:result', (r: { requestId: string }) => socketLatencies.push(performance.now() - (submittedAt.get(r.requestId) ?? NaN)));
          sockets.push(socket);
        }),
    ),
  );
  const cpuBefore = cpuSnapshot(platform);
  const started = performance.now();
  let next = 0;
  let refusedEarly = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < fans.length) {
        const i = next++;
        const t = performance.now();
        const res = await platform.api.post<{ requestId: string }>(
          '/api/v1/bookings',
          { concertId: concert.id, seatTypeId: concert.seatTypes[i % 3].id },
          fans[i].token,
        );
        if (res.status === 202) submittedAt.set(res.body.requestId, t);
        else if (res.status === 409) refusedEarly++;
        else throw new Error(`unexpected ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
  const submitted = performance.now();
  await waitForQueueIdle(platform.redisUrl, 120_000);
  const decided = performance.now();
  const cpuAfter = cpuSnapshot(platform);
  const cpuPerBooking = new Map([...cpuAfter].map(([name, ms]) => [name, (ms - (cpuBefore.get(name) ?? 0)) / burst]));
  for (const s of sockets) s.close();
  const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  const confirmed = Object.values(report.confirmed).reduce((a, b) => a + b, 0);
  if (confirmed !== seatsPerType * 3) throw new Error(`expected ${seatsPerType * 3} confirmed, got ${confirmed}`);
  return {
    decidedPerSecond: burst / ((decided - started) / 1000),
    submitPerSecond: burst / ((submitted - started) / 1000),
    refusedEarly,
    socketP50: pct(socketLatencies, 50),
    socketP95: pct(socketLatencies, 95),
    cpuPerBooking,
  };
}

const cpuLine = (perBooking: Map<string, number>) =>
  `server CPU per decided booking ${[...perBooking.values()].reduce((a, b) => a + b, 0).toFixed(2)} ms (${[...perBooking]
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(', ')})`;

async function queueAndLuaAlone(redisUrl: string, platform: TestPlatform, admin: string) {
  const seatsPerType = Math.floor((FANS * 0.8) / 3);
  const concert = await createConcert(platform, admin, { seatTypes: ['A', 'B', 'C'].map((name) => ({ name, capacity: seatsPerType })) });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const inventory = createInventory(redis);
  const name = `ceiling-${Date.now()}`;
  const queue = new Queue(name, { connection: redis, prefix: '{bench}' });
  const fans = mintFans(platform, FANS);
  let done = 0;
  let confirmed = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  const worker = new Worker<{ seatTypeId: string; userId: string; requestId: string }>(
    name,
    async (job) => {
      const outcome = await inventory.reserve(concert.id, job.data.seatTypeId, job.data.userId, job.data.requestId);
      if (outcome.code === ReserveCode.Reserved) confirmed++;
      if (++done === FANS) finished();
    },
    { connection: workerConnection, prefix: '{bench}', concurrency: 100, autorun: false },
  );
  const jobs = fans.map((f, i) => ({
    name: 'reserve',
    data: { userId: f.id, requestId: `r${i}`, seatTypeId: concert.seatTypes[i % 3].id },
    opts: { jobId: `r${i}`, removeOnComplete: true },
  }));
  const started = performance.now();
  for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  void worker.run();
  await allDone;
  const elapsed = performance.now() - started;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
  workerConnection.disconnect();
  if (confirmed !== seatsPerType * 3) throw new Error(`ceiling: expected ${seatsPerType * 3} confirmed, got ${confirmed}`);
  return { decidedPerSecond: FANS / (elapsed / 1000) };
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-bench-'));
const platform = (await startPlatform({
  dataDir,
  gatewayPort: await freePort(),
  output: () => ({ kind: 'ignore' }),
  env: {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    BCRYPT_ROUNDS: '4',
    ...Object.fromEntries(
      (process.env.BENCH_ENV ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]),
    ),
  },
  nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [],
})) as TestPlatform;
platform.api = new ApiClient(platform.gatewayUrl);
try {
  const admin = await adminToken(platform);
  const full: Array<Awaited<ReturnType<typeof fullPath>>> = [];
  const ceiling: number[] = [];
  console.log(`burst of ${FANS} distinct fans, ${RUNS} runs (full path and ceiling alternate in each run)`);
  // A real burst before the measured ones: what the best possible warm-up would give the first measured burst.
  if (PRIME_FANS)
    console.log(`priming burst of ${PRIME_FANS} fans (not reported): ${(await fullPath(platform, admin, PRIME_FANS)).decidedPerSecond.toFixed(0)} decided/s`);
  const rssBefore = rssSnapshot(platform);
  console.log(`RSS before the first burst (MB): ${rssLine(rssBefore)}`);
  for (let run = 1; run <= RUNS; run++) {
    const f = await fullPath(platform, admin);
    const c = await queueAndLuaAlone(platform.redisUrl, platform, admin);
    full.push(f);
    ceiling.push(c.decidedPerSecond);
    console.log(
      `run ${run}: full path ${f.decidedPerSecond.toFixed(0)} decided/s (submits ${f.submitPerSecond.toFixed(0)}/s, ${f.refusedEarly} refused before queueing, socket result p50 ${f.socketP50.toFixed(0)} ms p95 ${f.socketP95.toFixed(0)} ms) | queue + Lua alone ${c.decidedPerSecond.toFixed(0)} jobs/s | ratio ${(f.decidedPerSecond / c.decidedPerSecond).toFixed(2)}${run === 1 ? ' (cold)' : ''}`,
    );
    console.log(`  ${cpuLine(f.cpuPerBooking)}`);
  }
  const rssAfter = rssSnapshot(platform);
  console.log(`RSS after the last burst (MB): ${rssLine(rssAfter)}`);
  console.log(`RSS growth (MB): ${rssLine(new Map([...rssAfter].map(([name, mb]) => [name, mb - (rssBefore.get(name) ?? 0)])))}`);
  console.log(`cold (run 1): ${cpuLine(full[0].cpuPerBooking)}`);
  const fullMedian = median(full.map((f) => f.decidedPerSecond));
  const ceilingMedian = median(ceiling);
  const warm = full.slice(1);
  if (warm.length) {
    const names = [...warm[0].cpuPerBooking.keys()];
    console.log(`median of the warm runs: ${cpuLine(new Map(names.map((n) => [n, median(warm.map((f) => f.cpuPerBooking.get(n) ?? 0))])))}`);
  }
  console.log(
    `median: full path ${fullMedian.toFixed(0)} decided/s, queue + Lua alone ${ceilingMedian.toFixed(0)} jobs/s, ratio ${(fullMedian / ceilingMedian).toFixed(2)}`,
  );
} finally {
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

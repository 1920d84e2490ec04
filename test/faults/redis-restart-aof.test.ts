import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { loggedEntries } from './support/service-logs.js';
import { runStormWithFault, writeReliabilityReport, type FaultWindow } from './support/storm.js';

/** appendfsync everysec: what an operating-system crash (not a Redis crash) may lose. */
const UNSYNCED_MS = 1000;

let platform: TestPlatform;
let admin: string;

before(async () => {
  // Short locks so jobs whose completion Redis forgot are retried within seconds.
  platform = await startTestPlatform('faults-redis-restart-aof', {
    serviceEnv: { 'booking-worker': { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' } },
  });
  admin = await adminToken(platform);
});
after(() => platform?.stop());

/** The append-only file Redis is writing to now (Redis 7: appendonlydir/<base>.<n>.incr.aof, named in the manifest). */
function currentAof(): string {
  const args = platform.redis!.process.args;
  const dir = path.join(args[args.indexOf('--dir') + 1], 'appendonlydir');
  const manifest = readFileSync(path.join(dir, 'appendonly.aof.manifest'), 'utf8');
  const incr = [...manifest.matchAll(/^file (\S+) seq \d+ type i$/gm)].at(-1);
  if (!incr) throw new Error(`no incremental AOF in the manifest:\n${manifest}`);
  return path.join(dir, incr[1]);
}

/** Samples the AOF's size every 20 ms, so a crash can take the file back to what it was a moment before. */
function watchAofSize() {
  const samples: Array<{ at: number; size: number; file: string }> = [];
  const timer = setInterval(() => {
    const file = currentAof();
    samples.push({ at: Date.now(), size: statSync(file).size, file });
  }, 20);
  return {
    /** The first size seen at or after `at` (the test's event loop may sample late; then less is cut). */
    sizeAfter(at: number) {
      return samples.find((s) => s.at >= at);
    },
    stop: () => clearInterval(timer),
  };
}

/** Kills Redis (SIGKILL), optionally cuts the last `loseMs` of writes from its AOF, and starts it again from the file. */
async function crashRedis(aof: ReturnType<typeof watchAofSize>, loseMs: number, resumedAt: number): Promise<FaultWindow> {
  // The writes cut must be the storm's, not the test resuming the paused queue.
  await new Promise((r) => setTimeout(r, Math.max(0, resumedAt + loseMs + 100 - Date.now())));
  const startedAt = Date.now();
  await platform.redis!.process.kill();
  const file = currentAof();
  const sizeAtCrash = statSync(file).size;
  let cut = { bytes: 0, ms: 0 };
  if (loseMs) {
    const keep = aof.sizeAfter(Math.max(startedAt - loseMs, resumedAt + 50));
    assert.ok(keep && keep.file === file && keep.at < startedAt, 'the AOF was sampled in the second before the crash');
    truncateSync(file, keep.size);
    cut = { bytes: sizeAtCrash - keep.size, ms: startedAt - keep.at };
  }
  await platform.redis!.restart();
  return {
    startedAt,
    endedAt: Date.now(),
    details: { aofBytesAtCrash: sizeAtCrash, aofBytesCut: cut.bytes, writesCutMs: cut.ms, endedWhen: 'Redis answered PING after loading its AOF' },
  };
}

for (const variant of [
  {
    name: 'redis-restart-aof',
    loseMs: 0,
    fault:
      'Redis is killed (SIGKILL) once 30 bookings are confirmed and restarted from its append-only file: a crash of the Redis process, in which appendfsync everysec loses nothing acknowledged (every write reached the operating system before its reply)',
  },
  {
    name: 'redis-restart-aof-last-second-lost',
    loseMs: UNSYNCED_MS,
    fault: `as redis-restart-aof, but (up to) the last ${UNSYNCED_MS} ms of writes are cut from the append-only file before the restart (writesCutMs says how much): what an operating-system crash or power cut may lose with appendfsync everysec. Redis comes back a second in the past, behind the record in MongoDB`,
  },
]) {
  test(`${variant.name}: every request has exactly one final answer and Redis agrees with the record again`, async () => {
    const aof = watchAofSize();
    try {
      const { report, problems, concertId } = await runStormWithFault({
        name: variant.name,
        fault: variant.fault,
        platform,
        admin,
        injectFault: ({ resumedAt }) => crashRedis(aof, variant.loseMs, resumedAt),
      });
      const rebuilt = loggedEntries(platform, 'booking-worker', 'inventory rebuilt from MongoDB').filter((e) => e.concertId === concertId);
      writeReliabilityReport({
        ...report,
        definitions: {
          ...report.definitions,
          inventoryRebuilds:
            'times a worker rebuilt this concert’s stock and holders from MongoDB (it does after every Redis restart: Redis may be behind the record)',
        },
        inventoryRebuilds: rebuilt.length,
      });
      assert.deepEqual(problems, []);
    } finally {
      aof.stop();
    }
  });
}

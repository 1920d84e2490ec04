/**
 * The k6 storm twice against one stack started here: the first burst after start
 * (cold) and the same storm again on a new concert (warm), so both p95s come from
 * one run. Same stack settings as `npm run load`. The invariants are checked for
 * both concerts in MongoDB and Redis.
 * Usage: node --import tsx bench/storm-cold-warm.ts [fans=1000]
 * BENCH_CPU_PROF=<dir>: every server process writes a V8 CPU profile there at exit
 * (summarise with `node --import tsx bench/cpu-profile-top.ts <dir>`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/stack/processes.js';
import { LOAD_LIMITS_RAISED } from '../scripts/stack/local-limits.js';
import { startPlatform } from '../scripts/stack/platform.js';
import { checkInvariants } from '../test/support/invariants.js';
import { runLoad } from '../load/run.js';
import { childrenCpuMs, cpuSnapshot } from './support/process-stats.js';

const fans = Number(process.argv[2] ?? 1000);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-storm-'));
const platform = await startPlatform({
  dataDir,
  gatewayPort: await freePort(),
  output: () => ({ kind: 'ignore' }),
  env: {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    ...LOAD_LIMITS_RAISED,
    // Seeding (one bcrypt hash per fan) is not measured: at the default cost it takes minutes.
    BCRYPT_ROUNDS: '4',
  },
  nodeArgs: process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [],
});
// runLoad logs in as the admin of a stack it did not start from the environment.
process.env.ADMIN_EMAIL = platform.admin.email;
process.env.ADMIN_PASSWORD = platform.admin.password;
let failed = false;
try {
  // What the stack costs doing nothing (timers, polls, health checks), to tell it from what the storm costs.
  const idleFrom = cpuSnapshot(platform);
  await new Promise((r) => setTimeout(r, 20_000));
  console.log(
    `idle: CPU ms per second: ${[...cpuSnapshot(platform)].map(([name, ms]) => `${name} ${((ms - (idleFrom.get(name) ?? 0)) / 20).toFixed(1)}`).join(', ')}`,
  );
  for (const label of ['cold', 'warm']) {
    // Each process's CPU over the k6 run alone (seeding and verifying are outside it); k6's own once it exited.
    let before = new Map<string, number>();
    let after = new Map<string, number>();
    const result = await runLoad({
      scenario: 'storm',
      fans,
      baseUrl: platform.gatewayUrl,
      quiet: true,
      onK6: (phase) => {
        const now = new Map([...cpuSnapshot(platform), ['k6 (driver)', childrenCpuMs()]]);
        if (phase === 'start') before = now;
        else after = now;
      },
    });
    const seed = JSON.parse(readFileSync(result.summaryJson.replace('.summary.json', '.seed.json'), 'utf8')) as { concert: { id: string } };
    const invariants = await checkInvariants(platform.mongoUrl, platform.redisUrl, seed.concert.id).then(
      () => 'hold',
      (err: Error) => `FAILED: ${err.message}`,
    );
    const s = result.summary;
    failed ||= !result.passed || invariants !== 'hold';
    console.log(
      `${label}: CPU ms per decided booking during the k6 run: ${[...after]
        .map(([name, ms]) => `${name} ${((ms - (before.get(name) ?? 0)) / Math.max(1, result.summary.decided)).toFixed(2)}`)
        .join(', ')}\n` +
        `${label}: submit→result p50 ${Math.round(s.p50)} ms, p95 ${Math.round(s.p95)} ms, p99 ${Math.round(s.p99)} ms; decided ${s.decided} (${s.confirmed} confirmed), missing ${s.missing}, via REST ${s.viaRest}, failed requests ${(s.httpFailedRate * 100).toFixed(1)} %; invariants ${invariants}${result.problems.length ? `; ${result.problems.join('; ')}` : ''}`,
    );
  }
} finally {
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

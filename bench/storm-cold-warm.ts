/**
 * The k6 storm twice against one stack started here: the first burst after start
 * (cold) and the same storm again on a new concert (warm), so both p95s come from
 * one run. Same stack settings as `npm run load`. The invariants are checked for
 * both concerts in MongoDB and Redis.
 * Usage: node --import tsx bench/storm-cold-warm.ts [fans=1000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/stack/processes.js';
import { startPlatform } from '../scripts/stack/platform.js';
import { checkInvariants } from '../test/support/invariants.js';
import { runLoad } from '../load/run.js';

const fans = Number(process.argv[2] ?? 1000);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-storm-'));
const platform = await startPlatform({
  dataDir,
  gatewayPort: await freePort(),
  output: () => ({ kind: 'ignore' }),
  env: {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    WAITING_ROOM_JOIN_LIMIT_PER_IP: '1000000',
    REGISTER_LIMIT_PER_IP: '1000000',
    BOOKING_SUBMIT_LIMIT: '1000000',
  },
});
// runLoad logs in as the admin of a stack it did not start from the environment.
process.env.ADMIN_EMAIL = platform.admin.email;
process.env.ADMIN_PASSWORD = platform.admin.password;
let failed = false;
try {
  for (const label of ['cold', 'warm']) {
    const result = await runLoad({ scenario: 'storm', fans, baseUrl: platform.gatewayUrl, quiet: true });
    const seed = JSON.parse(readFileSync(result.summaryJson.replace('.summary.json', '.seed.json'), 'utf8')) as { concert: { id: string } };
    const invariants = await checkInvariants(platform.mongoUrl, platform.redisUrl, seed.concert.id).then(
      () => 'hold',
      (err: Error) => `FAILED: ${err.message}`,
    );
    const s = result.summary;
    failed ||= !result.passed || invariants !== 'hold';
    console.log(
      `${label}: submit→result p50 ${Math.round(s.p50)} ms, p95 ${Math.round(s.p95)} ms, p99 ${Math.round(s.p99)} ms; decided ${s.decided} (${s.confirmed} confirmed), missing ${s.missing}, via REST ${s.viaRest}, failed requests ${(s.httpFailedRate * 100).toFixed(1)} %; invariants ${invariants}${result.problems.length ? `; ${result.problems.join('; ')}` : ''}`,
    );
  }
} finally {
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

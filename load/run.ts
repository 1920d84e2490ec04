/**
 * `npm run load -- <storm|duplicates|ramp|journey> [--fans N]` (`--help` for the usage):
 * builds k6 once, starts the development stack if none answers at ONSALE_URL (default
 * http://localhost:${PORT:-3000}), seeds
 * a concert and real registered fans (bcrypt and all, before the measured phase),
 * runs the k6 scenario with its HTML report, then verifies the invariants
 * through the API (and in MongoDB/Redis when it started the stack itself).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onsaleUrl } from '../scripts/stack/onsale-url.js';
import { LOAD_LIMITS_RAISED } from '../scripts/stack/local-limits.js';
import { freePort, ROOT } from '../scripts/stack/processes.js';
import { DEV_ADMIN, startPlatform, type Platform } from '../scripts/stack/platform.js';
import { checkInvariants } from '../test/support/invariants.js';
import { ApiClient } from '../test/support/test-platform.js';

export const SCENARIOS = ['storm', 'duplicates', 'ramp', 'journey'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface LoadOptions {
  scenario: Scenario;
  fans?: number;
  baseUrl?: string;
  /** Where the HTML report, the summary and the seed go. */
  reportDir?: string;
  p95TargetMs?: number;
  quiet?: boolean;
  /** More environment for a stack started here (the test suite lowers BCRYPT_ROUNDS: seeding is not measured). */
  stackEnv?: Record<string, string>;
  /** Called just before k6 starts and just after it ends (a benchmark reads each process's CPU there). */
  onK6?: (phase: 'start' | 'end') => void;
}

export interface LoadResult {
  passed: boolean;
  k6Passed: boolean;
  verified: boolean;
  problems: string[];
  summary: Record<string, number>;
  reportHtml: string;
  summaryJson: string;
}

const K6 = path.join(ROOT, '.tools/bin/k6');
const DEFAULT_FANS: Record<Scenario, number> = { storm: 1000, duplicates: 200, ramp: 1000, journey: 200 };

async function healthy(url: string) {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) })).ok;
  } catch {
    return false;
  }
}

async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

async function createConcert(
  api: ApiClient,
  admin: string,
  name: string,
  seatTypes: Array<{ name: string; capacity: number; price: number }>,
  waitingRoom?: object,
) {
  const res = await api.post<{ id: string; seatTypes: Array<{ id: string; name: string; capacity: number }> }>(
    '/api/v1/concerts',
    { name, venue: 'Load Test Arena', startsAt: new Date(Date.now() + 24 * 3600_000).toISOString(), seatTypes, ...(waitingRoom ? { waitingRoom } : {}) },
    admin,
  );
  if (res.status !== 201) throw new Error(`creating the concert failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Registers fans through the API (real bcrypt) so the measured phase starts with tokens in hand. */
async function seedFans(api: ApiClient, count: number, log: (s: string) => void) {
  const started = Date.now();
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const fans = new Array<{ id: string; token: string }>(count);
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const res = await api.post<{ user: { id: string }; accessToken: string }>('/api/v1/auth/register', {
        email: `load-${run}-${i}@load.local`,
        password: 'load-test-password',
        name: `Fan ${i}`,
      });
      if (res.status !== 201) throw new Error(`registering fan ${i} failed: ${res.status} ${JSON.stringify(res.body)}`);
      fans[i] = { id: res.body.user.id, token: res.body.accessToken };
    },
  );
  log(`seeded ${count} fans in ${((Date.now() - started) / 1000).toFixed(1)} s (one bcrypt hash each, before the measured phase)`);
  return fans;
}

/**
 * The ramp's answer: per second of the run, decisions and their p95; the highest
 * rate reached while every second so far kept p95 ≤ 1 s and had no failed request.
 */
function rampKnee(pointsFile: string) {
  const perSecond = new Map<number, { ms: number[]; failed: number }>();
  for (const line of readFileSync(pointsFile, 'utf8').split('\n')) {
    if (!line.includes('"Point"')) continue;
    const point = JSON.parse(line) as { metric: string; data: { time: string; value: number } };
    if (point.metric !== 'submit_to_result' && point.metric !== 'http_req_failed') continue;
    const second = Math.floor(Date.parse(point.data.time) / 1000);
    const bucket = perSecond.get(second) ?? { ms: [], failed: 0 };
    if (point.metric === 'submit_to_result') bucket.ms.push(point.data.value);
    else bucket.failed += point.data.value;
    perSecond.set(second, bucket);
  }
  let best = 0;
  let bestP95 = 0;
  for (const [, b] of [...perSecond].sort((a, c) => a[0] - c[0])) {
    const sorted = b.ms.sort((x, y) => x - y);
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
    if (p95 > 1000 || b.failed > 0) break;
    if (sorted.length > best) [best, bestP95] = [sorted.length, p95];
  }
  return { sustainedDecidedPerSecond: best, p95AtThatRateMs: Math.round(bestP95) };
}

function runK6(script: string, env: Record<string, string>, quiet: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const outputs = [...(env.SUMMARY_FILE ? ['--summary-export', env.SUMMARY_FILE] : []), ...(env.POINTS_FILE ? ['--out', `json=${env.POINTS_FILE}`] : [])];
    const child = spawn(K6, ['run', '--quiet', '--summary-trend-stats', 'avg,min,med,max,p(90),p(95),p(99)', ...outputs, script], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const log = (s: string) => !opts.quiet && console.log(`[load] ${s}`);
  const scenario = opts.scenario;
  const fanCount = opts.fans ?? DEFAULT_FANS[scenario];
  const reportDir = opts.reportDir ?? path.join(ROOT, 'load/reports');
  mkdirSync(reportDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files = {
    seed: path.join(reportDir, `${scenario}-${stamp}.seed.json`),
    html: path.join(reportDir, `${scenario}-${stamp}.html`),
    summary: path.join(reportDir, `${scenario}-${stamp}.summary.json`),
    points: path.join(reportDir, `${scenario}-${stamp}.points.json`),
  };

  let baseUrl = opts.baseUrl ?? onsaleUrl();
  let platform: Platform | undefined;
  let dataDir: string | undefined;
  if (!(await healthy(baseUrl))) {
    log(`no stack answers at ${baseUrl}: starting one`);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-load-'));
    platform = await startPlatform({
      dataDir,
      gatewayPort: await freePort(),
      output: () => ({ kind: 'ignore' }),
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', ...LOAD_LIMITS_RAISED, ...opts.stackEnv },
    });
    baseUrl = platform.gatewayUrl;
  }
  try {
    const api = new ApiClient(baseUrl);
    const login = await api.post<{ accessToken: string }>('/api/v1/auth/login', {
      // A stack started here generated its admin password (production refuses DEV_ADMIN's).
      email: platform?.admin.email ?? process.env.ADMIN_EMAIL ?? DEV_ADMIN.email,
      password: platform?.admin.password ?? process.env.ADMIN_PASSWORD ?? DEV_ADMIN.password,
    });
    if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
    const admin = login.body.accessToken;

    // Fewer seats than fans, across three seat types (storm); one each for duplicates.
    const seats = scenario === 'duplicates' ? fanCount : Math.floor(fanCount * 0.6);
    const perType = Math.floor(seats / 3);
    const concert = await createConcert(
      api,
      admin,
      `Load ${scenario} ${stamp}`,
      [
        { name: 'Floor', capacity: perType, price: 89 },
        { name: 'Balcony', capacity: perType, price: 59 },
        { name: 'Seated', capacity: seats - 2 * perType, price: 69 },
      ],
      // The journey goes through the waiting room, admitting 50 fans a second.
      scenario === 'journey' ? { enabled: true, admitPerSecond: 50, tokenTtlSeconds: 120 } : undefined,
    );
    const rampConcerts = [];
    if (scenario === 'ramp')
      for (let i = 0; i < 60; i++)
        rampConcerts.push(await createConcert(api, admin, `Load ramp ${stamp} #${i}`, [{ name: 'GA', capacity: fanCount, price: 10 }]));
    // The journey registers its fans itself, inside the measured phase.
    const fans = scenario === 'journey' ? [] : await seedFans(api, fanCount, log);
    writeFileSync(
      files.seed,
      JSON.stringify({
        baseUrl,
        concert,
        rampConcerts,
        fans,
        journeyFans: fanCount,
        run: stamp.replace(/[^0-9A-Za-z]/g, ''),
      }),
    );

    log(`running k6 scenario "${scenario}" with ${fanCount} fans`);
    const started = Date.now();
    opts.onK6?.('start');
    const exitCode = await runK6(
      path.join(ROOT, 'load/scenarios', `${scenario}.js`),
      {
        SEED_FILE: files.seed,
        SUMMARY_FILE: files.summary,
        ...(scenario === 'ramp' ? { POINTS_FILE: files.points } : {}),
        P95_TARGET_MS: String(opts.p95TargetMs ?? 5000),
        K6_WEB_DASHBOARD: 'true',
        K6_WEB_DASHBOARD_PORT: String(await freePort()),
        K6_WEB_DASHBOARD_EXPORT: files.html,
        // The report needs at least one aggregation period inside the run; storms are short.
        K6_WEB_DASHBOARD_PERIOD: '1s',
        K6_NO_USAGE_REPORT: 'true',
      },
      Boolean(opts.quiet),
    );
    opts.onK6?.('end');
    const k6Seconds = (Date.now() - started) / 1000;
    const { metrics } = JSON.parse(readFileSync(files.summary, 'utf8')) as { metrics: Record<string, Record<string, number> | undefined> };

    // The verifier: the API must agree with itself and with what k6 saw.
    const problems: string[] = [];
    const checked = scenario === 'ramp' ? [] : [concert];
    for (const c of checked) {
      const read = await api.get<{ seatTypes: Array<{ capacity: number; remaining: number }> }>(`/api/v1/concerts/${c.id}`);
      const remaining = read.body.seatTypes.reduce((a, s) => a + s.remaining, 0);
      let held = 0;
      if (scenario === 'journey') held = seats - remaining;
      await pool(fans, 32, async (fan) => {
        const mine = await api.get<Array<{ concertId: string; status: string }>>(`/api/v1/bookings/my-bookings?limit=100`, fan.token);
        if (mine.status !== 200 || !Array.isArray(mine.body)) {
          problems.push(`my-bookings of fan ${fan.id}: ${mine.status} ${JSON.stringify(mine.body)}`);
          return;
        }
        const here = mine.body.filter((b) => b.concertId === c.id && b.status === 'confirmed').length;
        if (here > 1) problems.push(`fan ${fan.id} holds ${here} bookings`);
        held += here;
      });
      if (held > seats) problems.push(`oversold: ${held} confirmed for ${seats} seats`);
      if (held !== seats - remaining) problems.push(`remaining ${remaining} ≠ seats ${seats} − confirmed ${held}`);
      const k6Confirmed = metrics.bookings_confirmed?.count ?? 0;
      if (k6Confirmed !== held) problems.push(`k6 saw ${k6Confirmed} confirmations, the API holds ${held}`);
      if (platform) await checkInvariants(platform.mongoUrl, platform.redisUrl, c.id).catch((err: Error) => problems.push(`invariants: ${err.message}`));
    }
    // The ramp books dozens of concerts: the record-level checker covers them all.
    if (scenario === 'ramp' && platform) {
      for (const c of rampConcerts)
        await checkInvariants(platform.mongoUrl, platform.redisUrl, c.id).catch((err: Error) => problems.push(`invariants of ${c.id}: ${err.message}`));
    }
    const trend = metrics.submit_to_result ?? {};
    const decided = (metrics.bookings_confirmed?.count ?? 0) + (metrics.bookings_rejected?.count ?? 0);
    const summary = {
      fans: fanCount,
      decided,
      confirmed: metrics.bookings_confirmed?.count ?? 0,
      rejected: metrics.bookings_rejected?.count ?? 0,
      missing: metrics.results_missing?.count ?? 0,
      viaRest: metrics.results_via_rest?.count ?? 0,
      socketFailures: metrics.socket_failures?.count ?? 0,
      lateSubmissions: metrics.late_submissions?.count ?? 0,
      httpFailedRate: metrics.http_req_failed?.value ?? metrics.http_req_failed?.rate ?? 0,
      p50: trend.med,
      p95: trend['p(95)'],
      p99: trend['p(99)'],
      k6Seconds,
      ...(scenario === 'ramp' ? rampKnee(files.points) : {}),
    };
    const passed = exitCode === 0 && problems.length === 0;
    log(`summary: ${JSON.stringify(summary)}`);
    log(
      `invariants: ${problems.length ? `FAILED\n  ${problems.join('\n  ')}` : 'hold (no oversold seat, no fan with two bookings, remaining = seats − confirmed)'}`,
    );
    log(`k6 thresholds: ${exitCode === 0 ? 'passed' : `FAILED (exit ${exitCode})`}; report ${path.relative(ROOT, files.html)}`);
    return { passed, k6Passed: exitCode === 0, verified: problems.length === 0, problems, summary, reportHtml: files.html, summaryJson: files.summary };
  } finally {
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

export const USAGE = `usage: npm run load -- [scenario] [--fans N]

  scenario    one of ${SCENARIOS.join(', ')} (default storm)
  --fans N    how many fans (default: storm ${DEFAULT_FANS.storm}, duplicates ${DEFAULT_FANS.duplicates}, ramp ${DEFAULT_FANS.ramp}, journey ${DEFAULT_FANS.journey})
  --help      this text; nothing is built or run

Runs against the platform at ONSALE_URL (default http://localhost:\${PORT:-3000}); when
nothing answers there, it starts a stack of its own on free ports and stops it after.
Builds k6 into .tools/bin the first time (about 3 minutes). The HTML report and the
summary go to load/reports/; exits 0 when k6's thresholds and the invariants hold.`;

export type CliCommand = { help: true } | { help: false; scenario: Scenario; fans?: number };

/** The command line, in any order: one scenario, `--fans N` (or `--fans=N`), `--help`. */
export function parseArgs(args: string[]): CliCommand {
  if (args.some((a) => a === '--help' || a === '-h')) return { help: true };
  let scenario: Scenario | undefined;
  let fans: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--fans' || arg.startsWith('--fans=')) {
      const value = arg === '--fans' ? args[++i] : arg.slice('--fans='.length);
      fans = Number(value);
      if (value === undefined || !Number.isInteger(fans) || fans < 1) throw new Error(`--fans needs a whole number of fans (1 or more), not "${value ?? ''}"`);
    } else if (arg.startsWith('-')) throw new Error(`unknown option "${arg}"`);
    else if (scenario !== undefined) throw new Error(`one scenario at a time ("${scenario}" and "${arg}")`);
    else if ((SCENARIOS as readonly string[]).includes(arg)) scenario = arg as Scenario;
    else throw new Error(`unknown scenario "${arg}"; one of ${SCENARIOS.join(', ')}`);
  }
  return { help: false, scenario: scenario ?? 'storm', fans };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let command: CliCommand;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`load: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (command.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // k6 (and the servers a stack of our own needs): installed or built once, only now that there is something to run.
  const setup = spawnSync('bash', [path.join(ROOT, 'scripts/setup-tools.sh')], { stdio: 'inherit', env: { ...process.env, WITH_K6: '1' } });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
  const result = await runLoad({ scenario: command.scenario, fans: command.fans });
  process.exit(result.passed ? 0 : 1);
}

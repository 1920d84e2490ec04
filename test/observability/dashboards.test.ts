import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import YAML from 'yaml';
import { io as connect, type Socket } from 'socket.io-client';
import { ALERT_RULES, startPrometheus, type PrometheusHandle } from '../../scripts/stack/prometheus.js';
import { adminToken, createConcert, mintFans } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { bookingBurst, eventually } from './support/burst.js';
import { exposedNames, loadDashboards, metricNames, panelQueries, seriesOf, variableQueries, type DashboardQuery } from './support/dashboards.js';

/** Series Prometheus itself attaches to every target: no service exports them. */
const SCRAPE_SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/** The shipped rules with every `for:` cut to 1 s, so a scenario sees an alert fire in seconds, not minutes. */
function quickAlertRules(dir: string): string {
  const rules = YAML.parse(readFileSync(ALERT_RULES, 'utf8')) as { groups: Array<{ rules: Array<{ for?: string }> }> };
  for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.for) rule.for = '1s';
  const file = path.join(dir, 'alerts-quick.yml');
  writeFileSync(file, YAML.stringify(rules));
  return file;
}

let platform: TestPlatform;
let prometheus: PrometheusHandle;
let promDir: string;
let admin: string;
let socket: Socket | undefined;
let burst: ReturnType<typeof bookingBurst> | undefined;
/** One burst shared by the tests that need traffic (each may run alone with --test-name-pattern). */
const burstOnce = () => (burst ??= bookingBurst(platform, admin));

const dashboards = loadDashboards();
const allQueries = (): DashboardQuery[] => dashboards.flatMap((d) => [...panelQueries(d), ...variableQueries(d)]);

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `GET /metrics on ${port}`);
  return res.text();
}

before(async () => {
  platform = await startTestPlatform('observability');
  admin = await adminToken(platform);
  promDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-prometheus-'));
  prometheus = await startPrometheus({
    dataDir: promDir,
    ruleFiles: [quickAlertRules(promDir)],
    targets: [...platform.ports].map(([job, port]) => ({ job, port })),
    scrapeIntervalSeconds: 1,
    output: { kind: 'file', path: path.join(platform.outputDir, 'prometheus.log') },
  });
  // Rates need samples from before the burst: wait until every target has been scraped twice.
  await eventually('every target scraped healthy', async () => {
    const targets = await prometheus.targets();
    return targets.length === platform.ports.size && targets.every((t) => t.health === 'up');
  });
  const firstScraped = Date.now() / 1000;
  await eventually('a second scrape of every target', async () => {
    const [oldest] = await prometheus.query('min(timestamp(up))');
    return oldest && Number(oldest.value[1]) > firstScraped;
  });
  // One fan with a socket open, so the connections gauge has something to count.
  const [watcher] = mintFans(platform, 1);
  socket = connect(platform.gatewayUrl, { path: '/socket.io', auth: { token: watcher.token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket!.once('connect', () => resolve());
    socket!.once('connect_error', reject);
  });
});

after(async () => {
  socket?.disconnect();
  await prometheus?.stop();
  await platform?.stop();
  if (promDir) rmSync(promDir, { recursive: true, force: true });
});

describe('dashboards and the metrics behind them', () => {
  test('the metric-name reader finds the selectors of an expression and nothing else', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{service=~".*",status="5.."}[1m])))'),
      ['http_request_duration_seconds_bucket'],
    );
    assert.deepEqual(metricNames('(sum(rate(a_total{x="y"}[1m])) or vector(0)) / sum without (le) (b_count) and on (service) up').sort(), [
      'a_total',
      'b_count',
      'up',
    ]);
    assert.ok(allQueries().length >= 25, `expected the dashboards to hold at least 25 queries, found ${allQueries().length}`);
  });

  test('every metric a dashboard queries is exported by some service after a booking burst', async () => {
    const { tally } = await burstOnce();
    assert.ok((tally.confirmed ?? 0) > 0, JSON.stringify(tally));
    const exported = new Set<string>();
    for (const [, port] of platform.ports) for (const name of exposedNames(await scrape(port))) exported.add(name);

    const missing = allQueries().flatMap((q) =>
      metricNames(q.expr)
        .filter((name) => !SCRAPE_SYNTHETIC.has(name) && !exported.has(name))
        .map((name) => `${q.dashboard} / ${q.where}: ${name}`),
    );
    assert.deepEqual(missing, [], 'metrics named in dashboards that no service exports');
  });

  test('a real Prometheus scraping the stack during a burst answers every dashboard query with data', async () => {
    const { tally, concertId } = await burstOnce();
    const burstEnd = Date.now() / 1000;
    // Evaluate just after the burst, once every target has been scraped past that moment.
    const at = burstEnd + 2;
    await eventually('a scrape of every target after the burst', async () => {
      const [oldest] = await prometheus.query('min(timestamp(up))');
      return oldest && Number(oldest.value[1]) > at;
    });

    const empty: string[] = [];
    for (const q of allQueries()) {
      try {
        await eventually(q.where, async () => (await prometheus.query(q.expr, at)).some((s) => Number.isFinite(Number(s.value[1]))), 10_000);
      } catch (err) {
        empty.push(`${q.dashboard} / ${q.where}: ${q.expr} (${(err as Error).message})`);
      }
    }
    assert.deepEqual(empty, [], 'dashboard queries with no finite value just after the burst');

    // The numbers are the real ones, not just present.
    const [confirmed] = await prometheus.query('sum(bookings_decided_total{result="confirmed"})', at);
    assert.equal(Number(confirmed.value[1]), tally.confirmed, `confirmed decisions counted vs answered (${JSON.stringify(tally)})`);
    // Every refusal a fan got is counted with its reason, wherever it was decided (before the queue or by the worker).
    for (const [key, count] of Object.entries(tally).filter(([k]) => k.startsWith('rejected:'))) {
      const [counted] = await prometheus.query(`sum(bookings_decided_total{result="rejected",reason="${key.slice('rejected:'.length)}"})`, at);
      assert.equal(Number(counted?.value[1]), count, `${key}: counted vs answered (${JSON.stringify(tally)})`);
    }
    assert.ok((tally['rejected:sold_out'] ?? 0) >= 3, 'the late fans were refused sold_out');
    // Labelled by concert, and the concert's name comes through concert_info.
    const byConcert = await prometheus.query(`sum by (concert) (bookings_decided_total{concert="${concertId}"})`, at);
    assert.equal(Number(byConcert[0]?.value[1]), Object.values(tally).reduce((a, b) => a + b, 0) - 6, 'the first concert carries its own decisions');
    const [info] = await prometheus.query(`max by (concert, name) (concert_info{concert="${concertId}"})`, at);
    assert.match(info?.metric.name ?? '', /^Concert \d+$/, 'concert_info names the concert');
    const [reserves] = await prometheus.query('sum(inventory_script_duration_seconds_count{script="reserve-seat"})', at);
    assert.ok(Number(reserves.value[1]) >= tally.confirmed, 'every confirmed booking ran reserve-seat');
    const [cancels] = await prometheus.query('sum(inventory_script_duration_seconds_count{script="begin-cancel"})', at);
    assert.equal(Number(cancels.value[1]), 1, 'the one cancellation ran begin-cancel once');
    const [sockets] = await prometheus.query('sum(socketio_connections)', at);
    assert.ok(Number(sockets.value[1]) >= 1, 'the open socket is counted');
  });

  test('label sets stay bounded: 1,000 requests to distinct booking ids do not add series', async () => {
    const [fan] = mintFans(platform, 1);
    const get = (id: string) => platform.api.get(`/api/v1/bookings/${id}`, fan.token);
    // Once first, so the route's series exist before counting.
    assert.equal((await get(new Types.ObjectId().toHexString())).status, 404);
    const count = async (service: 'booking' | 'gateway') => seriesOf(await scrape(platform.ports.get(service)!), 'http_request_duration_seconds_count');
    const before = { booking: await count('booking'), gateway: await count('gateway') };

    const ids = Array.from({ length: 1000 }, () => new Types.ObjectId().toHexString());
    for (let i = 0; i < ids.length; i += 50) {
      const statuses = await Promise.all(ids.slice(i, i + 50).map(async (id) => (await get(id)).status));
      assert.ok(
        statuses.every((s) => s === 404),
        `unknown bookings answer 404, got ${[...new Set(statuses)].join(',')}`,
      );
    }

    for (const service of ['booking', 'gateway'] as const) {
      const after = await count(service);
      const added = after.filter((s) => !before[service].includes(s));
      assert.deepEqual(added, [], `${service}: series added by 1,000 distinct ids`);
      assert.ok(
        after.every((s) => !ids.some((id) => s.includes(id))),
        `${service}: a raw id leaked into a label`,
      );
    }
    const route = before.booking.find((s) => s.includes('route="/api/v1/bookings/:id"') && s.includes('status="404"'));
    assert.ok(route, `the booking service labels the route template: ${before.booking.join('\n')}`);
  });
});

// Last: it stops the worker.
describe('alert rules in a live Prometheus', () => {
  test('with the worker stopped and a booking waiting, WorkerNotConsuming and ProcessDown fire', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5 }] });
    const quiet = await prometheus.alerts();
    assert.deepEqual(
      quiet.filter((a) => a.labels.alertname === 'WorkerNotConsuming'),
      [],
      'no alert while the worker runs',
    );
    await platform.services.get('booking-worker')!.stop();
    const [fan] = mintFans(platform, 1);
    const queued = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, fan.token);
    assert.equal(queued.status, 202, 'queued with no worker to decide it');
    const firing = await eventually(
      'WorkerNotConsuming and ProcessDown firing',
      async () => {
        const alerts = (await prometheus.alerts()).filter((a) => a.state === 'firing').map((a) => `${a.labels.alertname}:${a.labels.job ?? ''}`);
        return alerts.includes('WorkerNotConsuming:') && alerts.includes('ProcessDown:booking-worker') && alerts;
      },
      30_000,
    );
    assert.ok(firing);
  });
});

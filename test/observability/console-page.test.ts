import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { startPrometheus, type PrometheusHandle } from '../../scripts/stack/prometheus.js';
import { freePort } from '../../scripts/stack/processes.js';
import { assertError } from '../support/assertions.js';
import { CHROMIUM_LAUNCH } from '../support/chromium.js';
import { adminToken, createConcert, mintFans } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { eventually } from './support/burst.js';

let platform: TestPlatform;
let prometheus: PrometheusHandle | undefined;
let promDir: string;
let browser: BrowserContext | undefined;
let profileDir: string | undefined;

before(async () => {
  // Prometheus's port is chosen first, so the concert service starts knowing where to ask.
  const promPort = await freePort();
  platform = await startTestPlatform('console-page', { serviceEnv: { concert: { PROMETHEUS_URL: `http://127.0.0.1:${promPort}` } } });
  promDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-prometheus-'));
  prometheus = await startPrometheus({
    dataDir: promDir,
    port: promPort,
    targets: [...platform.ports].map(([job, port]) => ({ job, port })),
    scrapeIntervalSeconds: 1,
    output: { kind: 'file', path: path.join(platform.outputDir, 'prometheus.log') },
  });
});
after(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await prometheus?.stop();
  await platform?.stop();
  if (promDir) rmSync(promDir, { recursive: true, force: true });
});

describe('the operator console', () => {
  test('in headless Chromium an admin signs in at /admin and sees live charts of a sale from Prometheus', async () => {
    const admin = await adminToken(platform);
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 3 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const answers = await Promise.all(
      mintFans(platform, 6).map((fan) => platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, fan.token, { prefer: 'wait=30' })),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, 3);
    await eventually('the decisions scraped', async () => {
      const [s] = await prometheus!.query(`sum(bookings_decided_total{concert="${concert.id}"})`);
      return s && Number(s.value[1]) === 6;
    });

    profileDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, { ...CHROMIUM_LAUNCH, viewport: { width: 1280, height: 1600 } });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${platform.gatewayUrl}/admin`);
    await page.getByLabel('Email').fill(platform.admin.email);
    await page.getByLabel('Password').fill(platform.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#concert').selectOption(concert.id);
    const decisions = page.locator('[data-chart="decisions"]');
    await decisions.locator('canvas').waitFor({ timeout: 20_000 });
    await eventually(
      'the decisions chart has its series',
      async () => (await decisions.locator('.u-legend').textContent())?.includes('rejected: sold_out'),
      20_000,
    );
    const stock = page.locator('[data-chart="stock"]');
    await eventually('the stock chart names the seat type', async () => (await stock.locator('.u-legend').textContent())?.includes('Floor'), 20_000);
    for (const id of ['decisions', 'queue', 'latency', 'stock', 'line', 'admission']) assert.equal(await page.locator(`[data-chart="${id}"]`).count(), 1, id);
    await page.screenshot({ path: path.join(platform.outputDir, 'console.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  test('the chart data is admin only, validated, and a clear 503 when Prometheus is not reachable', async () => {
    const admin = await adminToken(platform);
    const [fan] = mintFans(platform, 1);
    const url = `/api/v1/admin/charts?concertId=${'a'.repeat(24)}&minutes=5`;
    assertError(await platform.api.get(url), 401);
    assertError(await platform.api.get(url, fan.token), 403, 'forbidden');
    assertError(await platform.api.get('/api/v1/admin/charts?concertId=nope', admin), 400);
    assertError(await platform.api.get(`${url}&extra=1`, admin), 400);
    assert.equal((await platform.api.get(url, admin)).status, 200);
    await prometheus!.stop();
    prometheus = undefined;
    assertError(await platform.api.get(url, admin), 503, 'service_unavailable');
  });
});

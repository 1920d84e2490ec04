import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import type { PublicBooking } from '../../lib/records/booking.record.js';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans } from '../../test/support/fans.js';
import { registerFan, startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { admitted, eventually, join, status, watchLine } from './line-support.js';
import { CHROMIUM_LAUNCH } from '../../test/support/chromium.js';

const ABANDON_AFTER_MS = 11_000;
let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;
let browser: BrowserContext | undefined;
let profileDir: string | undefined;
const sockets: Socket[] = [];

before(async () => {
  platform = await startTestPlatform('waiting-room-page', { serviceEnv: { 'waiting-room': { ABANDON_AFTER_MS: String(ABANDON_AFTER_MS) } } });
  admin = await adminToken(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  for (const s of sockets) s.disconnect();
  redis?.disconnect();
  await platform?.stop();
});

describe('the fan-facing waiting-room page', () => {
  test('in headless Chromium on a phone-sized screen, a fan signs in, waits, is admitted, books and sees the confirmation', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: 'Floor', capacity: 5 },
        { name: 'Balcony', capacity: 5 },
      ],
      waitingRoom: { enabled: true, admitPerSecond: 1 },
    });
    for (const ahead of mintFans(platform, 3)) assert.equal((await join(platform, ahead, concert.id)).status, 200);
    const fan = await registerFan(platform.api, 'browser-fan');

    // The machine has no network: no background services, no component updates, a throwaway profile.
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      ...CHROMIUM_LAUNCH,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await page.goto(`${platform.gatewayUrl}/waiting-room/${concert.id}`);
    await page.getByRole('heading', { level: 1, name: /^Concert / }).waitFor();
    await page.getByLabel('Email').fill(fan.email);
    await page.getByLabel('Password').fill(fan.password);
    await page.getByRole('button', { name: 'Sign in and join the line' }).click();

    await page.locator('#line').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#position').textContent(), '4', 'behind the three fans who joined first');
    await page.screenshot({ path: path.join(platform.outputDir, 'waiting.png'), fullPage: true });

    await page.getByRole('heading', { name: 'It is your turn' }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Seat type').selectOption(concert.seatTypes[1].id);
    await page.getByRole('button', { name: 'Book my ticket' }).click();
    await page.getByRole('heading', { name: /Booked!/ }).waitFor({ timeout: 30_000 });
    const confirmation = await page.locator('#result-text').textContent();
    await page.screenshot({ path: path.join(platform.outputDir, 'confirmed.png'), fullPage: true });

    const mine = await platform.api.get<PublicBooking[]>('/api/v1/bookings/my-bookings', fan.accessToken);
    assert.equal(mine.body.length, 1);
    assert.equal(mine.body[0].seatTypeName, 'Balcony');
    assert.ok(confirmation?.includes(mine.body[0].id), `the page shows the booking reference: ${confirmation}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling on a phone (${width}px)`);
    assert.deepEqual(pageErrors, []);
  });

  test('the page and its scripts are served through the gateway; unknown concerts are 404', async () => {
    const page = await fetch(`${platform.gatewayUrl}/waiting-room/${'a'.repeat(24)}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const client = await fetch(`${platform.gatewayUrl}/waiting-room/assets/socket.io.min.js`);
    assert.equal(client.status, 200);
    assert.match(await client.text(), /socket\.io/i);
    assertError(await platform.api.get('/waiting-room/not-a-concert'), 404);
  });
});

// Both wait for time to pass on the server: run them side by side.
describe('places and slots that are given up', { concurrency: true }, () => {
  test('an admitted fan who lets the token expire frees the slot for the next fan, loses the place, and the token stops working', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, tokenTtlSeconds: 30 },
    });
    const [idle, next] = mintFans(platform, 2);
    await join(platform, idle, concert.id);
    const idleAdmission = await admitted(platform, idle, concert.id);
    const socket = await watchLine(platform, next, concert.id);
    sockets.push(socket);
    await join(platform, next, concert.id);
    assert.equal((await status(platform, next, concert.id)).body.status, 'waiting', 'the only slot is taken');

    const nextAdmission = await admitted(platform, next, concert.id, 60_000);
    assert.ok(Date.now() >= Date.parse(idleAdmission.expiresAt) - 1000, 'let in only once the first admission expired');
    assertError(await status(platform, idle, concert.id), 404, 'not_in_line');
    const seatTypeId = concert.seatTypes[0].id;
    const late = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, idle.token, {
      prefer: 'wait=20',
      'x-admission-token': idleAdmission.admissionToken,
    });
    assertError(late, 403, 'admission_required');
    const booked = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, next.token, {
      prefer: 'wait=20',
      'x-admission-token': nextAdmission.admissionToken,
    });
    assert.equal(booked.status, 201);
  });

  test('a fan with no socket and no status poll loses the place, fans with either keep it, and the line moves past the gap', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1 },
    });
    const [holder, gone, live, poller] = mintFans(platform, 4);
    await join(platform, holder, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    const socket = await watchLine(platform, live, concert.id);
    sockets.push(socket);
    for (const fan of [gone, live, poller]) await join(platform, fan, concert.id);

    let polling = true;
    const polls = (async () => {
      while (polling) {
        assert.equal((await status(platform, poller, concert.id)).status, 200, 'the polling fan keeps the place');
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    try {
      const positions = waitingRoomKeys(concert.id).positions;
      await eventually('the silent fan dropped', async () => !(await redis.hexists(positions, gone.id)), ABANDON_AFTER_MS * 4, 250);
      assertError(await status(platform, gone, concert.id), 404, 'not_in_line');
      assert.equal((await status(platform, live, concert.id)).body.status, 'waiting', 'the fan with a socket keeps the place');

      const booked = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, holder.token, {
        prefer: 'wait=20',
        'x-admission-token': holding.admissionToken,
      });
      assert.equal(booked.status, 201);
      const next = await admitted(platform, live, concert.id, 10_000);
      assert.equal(next.position, 3, 'the next fan in after the gap');
      const rejoined = await join(platform, gone, concert.id);
      assert.equal(rejoined.body.position, 5, 'a dropped fan who comes back joins at the back');
    } finally {
      polling = false;
      await polls;
    }
  });
});

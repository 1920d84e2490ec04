/**
 * The fan page in Chromium when something ends (issue 15): a turn whose claim window runs
 * out unused, and a session whose refresh is refused. What the fan sees then, and what the
 * page sends. Screenshots in test-output/fan-page-endings/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { openRedis } from '../../lib/redis.js';
import { LINE_SETTING_BOUNDS } from '../../lib/waiting-room-limits.js';
import { familiesKey } from '../../services/auth/token.service.js';
import type { Booking, TokenPair } from '../../test/support/api-types.js';
import { createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { registerFan, startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { fanPageBrowsers, signInOnPage, storedAccessToken, storedRefreshToken, type Device } from './fan-page-support.js';
import { admitted, eventually, join } from './line-support.js';

/** Short, so the page renews within seconds (at three quarters of the lifetime). */
const ACCESS_TTL_SECONDS = 6;
let platform: TestPlatform;
let admin: string;
let browsers: ReturnType<typeof fanPageBrowsers>;
let redis: ReturnType<typeof openRedis>;

before(async () => {
  platform = await startTestPlatform('fan-page-endings', { serviceEnv: { auth: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_SECONDS) } } });
  admin = mintFans(platform, 1, 'admin')[0].token;
  browsers = fanPageBrowsers(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  redis?.disconnect();
  await browsers?.close();
  await platform?.stop();
});

const book = (fan: Fan, concertId: string, seatTypeId: string, admissionToken: string) =>
  platform.api.post<Booking>('/api/v1/bookings', { concertId, seatTypeId }, fan.token, { prefer: 'wait=20', 'x-admission-token': admissionToken });
const isApiCall = (r: Request) => /\/(api\/v1|socket\.io)\//.test(new URL(r.url()).pathname);

describe('a turn that runs out', () => {
  test('the page says the turn passed, offers no booking that would fail, sends none, keeps saying why it is back in line; the next fan is let in', async () => {
    const claimWindowSeconds = LINE_SETTING_BOUNDS.claimWindowSeconds.min;
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 5 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, claimWindowSeconds },
    });
    const fan = await registerFan(platform.api, 'late-fan');
    const context = await browsers.browser('desktop');
    const { page, errors } = await browsers.openPage(context, concert.id);
    const bookingPosts: Request[] = [];
    context.on('request', (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/bookings' && bookingPosts.push(r));
    await signInOnPage(page, fan);
    await page.getByRole('heading', { name: 'It is your turn' }).waitFor({ timeout: 15_000 });
    const pageFan: Fan = { id: fan.id, email: fan.email, token: (await storedAccessToken(page))! };
    const turn = await admitted(platform, pageFan, concert.id);

    // The next fan joins behind; the operator lengthens the window for admissions from now on,
    // so the next fan keeps the slot while the page is looked at (the page's own turn keeps its end).
    const [next] = mintFans(platform, 1);
    assert.equal((await join(platform, next, concert.id)).status, 200);
    const lengthened = await platform.api.request('PATCH', `/api/v1/waiting-room/${concert.id}/settings`, { body: { claimWindowSeconds: 600 }, token: admin });
    assert.equal(lengthened.status, 200, JSON.stringify(lengthened.body));
    assert.ok(Date.now() < Date.parse(turn.expiresAt) - 500, 'the window was lengthened while the page still held its turn');

    // The phone loses the network as the turn runs out: only the page's own clock can tell.
    await context.setOffline(true);
    const turnEnd = Date.parse(turn.expiresAt);
    await page.getByRole('heading', { name: 'Your turn has passed' }).waitFor({ timeout: turnEnd - Date.now() + 1_500 });
    assert.ok(Date.now() >= turnEnd - 50, 'not before the turn ended');
    assert.equal(await page.getByRole('button', { name: 'Book my ticket' }).isVisible(), false, 'no button a booking through would fail');
    assert.equal(await page.getByRole('heading', { name: 'It is your turn' }).isVisible(), false);
    assert.equal(await page.locator('#admission-expiry').textContent(), 'No booking was made in time. This page is checking your place in the line…');
    // A press that lands as the turn ends (the form submitted anyway) sends no stale admission.
    await page.locator('#book-form').evaluate((form: HTMLFormElement) => form.requestSubmit());
    await page.screenshot({ path: path.join(platform.outputDir, 'desktop-turn-passed.png'), fullPage: true });

    // Back online, the page follows the server: the unused admission ended the place, so it joins again at the back.
    await context.setOffline(false);
    await page.locator('#line').waitFor({ state: 'visible', timeout: 15_000 });
    const why = /Your turn ran out before a booking was made, so you have joined the line again\./;
    assert.match((await page.locator('#line').textContent()) ?? '', why);
    assert.equal(await page.locator('#position').textContent(), '3', 'behind the fan who joined while the page held its turn');
    assert.equal(await page.getByRole('button', { name: 'Book my ticket' }).isVisible(), false);
    assert.equal(await page.getByRole('heading', { name: 'It is your turn' }).isVisible(), false);
    await page.screenshot({ path: path.join(platform.outputDir, 'desktop-back-in-line.png'), fullPage: true });

    // The next fan is let in, and the page, updated by the line, still says why it is back in line.
    const nextTurn = await admitted(platform, next, concert.id);
    await eventually('the page saw the next fan let in', async () => (await page.locator('#ahead').textContent()) === '0', 10_000, 100);
    assert.match((await page.locator('#line').textContent()) ?? '', why, 'the reason stays while the line updates the place');

    assert.equal(bookingPosts.length, 0, 'the page sent no booking with the spent admission');
    const mine = await platform.api.get<Booking[]>('/api/v1/bookings/my-bookings', (await storedAccessToken(page))!);
    assert.deepEqual(mine.body, [], 'and no booking exists');

    // The next fan books: the slot frees, the page gets a turn of its own again and books with it.
    assert.equal((await book(next, concert.id, concert.seatTypes[0].id, nextTurn.admissionToken)).status, 201);
    await page.getByRole('heading', { name: 'It is your turn' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Book my ticket' }).click();
    await page.getByRole('heading', { name: /Booked!/ }).waitFor({ timeout: 30_000 });
    assert.equal(bookingPosts.length, 1, 'one booking request, with the fresh admission');
    assert.deepEqual(errors, []);
  });
});

/** Two real ways the page's next refresh is refused, each with what the test does to cause it. */
const refusals: Array<{ how: string; device: Device; refuse: (page: Page, fanId: string) => Promise<void> }> = [
  {
    how: 'a copy of its refresh token was used elsewhere first (auth sees the reuse and ends the login, its sockets too)',
    device: 'phone',
    async refuse(page) {
      const stolen = await platform.api.post<TokenPair>('/api/v1/auth/refresh', { refreshToken: await storedRefreshToken(page) });
      assert.equal(stolen.status, 200, 'the copy was used before the page renewed');
    },
  },
  {
    how: 'its refresh token lapsed while the page was open (as when its lifetime passes, or Redis lost it), the socket still connected',
    device: 'desktop',
    async refuse(page, fanId) {
      // Signed out while the socket is up: its closing must not start the page polling again.
      await eventually('the live updates', async () => (await page.locator('#connection').textContent()) === 'Live updates on.', 10_000, 100);
      assert.equal(await redis.del(familiesKey(fanId)), 1, 'the login had its refresh tokens');
    },
  },
];

// Both wait for the page's renewal and then watch it stay quiet: run them side by side.
describe('a refresh that is refused', { concurrency: true }, () => {
  for (const { how, device, refuse } of refusals) {
    test(`when ${how}, the page signs the fan out saying until when the place is kept, calls nothing more, and signing in again finds the place`, async () => {
      const concert = await createConcert(platform, admin, {
        seatTypes: [{ name: 'Floor', capacity: 5 }],
        waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, claimWindowSeconds: 600 },
      });
      // The only slot is held for the whole test, so the fan stays in line.
      const [holder] = mintFans(platform, 1);
      await join(platform, holder, concert.id);
      await admitted(platform, holder, concert.id);

      const fan = await registerFan(platform.api, `refused-${device}-fan`);
      const context = await browsers.browser(device);
      const { page, errors } = await browsers.openPage(context, concert.id);
      const calls: Array<{ at: number; request: Request }> = [];
      context.on('request', (request) => isApiCall(request) && calls.push({ at: Date.now(), request }));
      await signInOnPage(page, fan);
      await page.locator('#line').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#position').textContent(), '2');

      // Before the page's first renewal (three quarters of the access token's life after signing in).
      const refusedFrom = Date.now();
      await refuse(page, fan.id);

      await page.getByRole('heading', { name: 'Sign in to take your place' }).waitFor({ timeout: ACCESS_TTL_SECONDS * 1000 + 5_000 });
      const signedOutAt = Date.now();
      const refreshes = calls.filter((c) => c.at >= refusedFrom && new URL(c.request.url()).pathname === '/api/v1/auth/refresh');
      assert.equal(refreshes.length, 1, 'one refresh, refused, and no retry of it');
      assert.equal((await refreshes[0].request.response())?.status(), 401);
      // The place lasts the room's grace period (10 minutes by default) from the page's last sign of life, seconds ago.
      const keptUntil = await page.evaluate(
        (times) => times.map((t) => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })),
        [signedOutAt - 15_000 + 600_000, signedOutAt + 600_000],
      );
      const note = (await page.locator('#login-note').textContent()) ?? '';
      assert.ok(
        keptUntil.some((time) => note === `You have been signed out. Sign in again before about ${time} to get back to your place.`),
        `${note} (kept until ${keptUntil.join(' or ')})`,
      );
      assert.equal(await page.locator('#line').isVisible(), false);
      assert.equal(await page.locator('#connection').textContent(), '', 'no word of live updates or of checking the place while signed out');
      assert.equal(await storedRefreshToken(page), null, 'the refused pair is forgotten');
      await page.screenshot({ path: path.join(platform.outputDir, `${device}-signed-out.png`), fullPage: true });

      // Quiet from now on: no polls, no socket reconnections, no renewals. The page polls every
      // 3 s without a socket and renews every 5 s when it cannot: 8 s would see either twice.
      await new Promise((r) => setTimeout(r, 8_000));
      const afterwards = calls.filter((c) => c.at > signedOutAt).map((c) => `${c.request.method()} ${new URL(c.request.url()).pathname}`);
      assert.deepEqual(afterwards, [], 'the signed-out page calls nothing');
      assert.match((await page.locator('#login-note').textContent()) ?? '', /^You have been signed out/, 'still saying so');

      // What the note promised: signing in again finds the same place.
      await signInOnPage(page, fan);
      await page.locator('#line').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#position').textContent(), '2', 'the same place');
      assert.equal(await page.locator('#login-note').isVisible(), false);
      assert.deepEqual(errors, []);
    });
  }
});

describe('a refresh refused on a sold-out page', () => {
  test("the waiting list's own polls stop too when the fan is signed out", async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 1 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1 },
    });
    const [holder] = mintFans(platform, 1);
    await join(platform, holder, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    assert.equal((await book(holder, concert.id, concert.seatTypes[0].id, holding.admissionToken)).status, 201);

    const fan = await registerFan(platform.api, 'listed-signed-out-fan');
    const context = await browsers.browser('desktop');
    const { page, errors } = await browsers.openPage(context, concert.id);
    const calls: Array<{ at: number; request: Request }> = [];
    context.on('request', (request) => isApiCall(request) && calls.push({ at: Date.now(), request }));
    await signInOnPage(page, fan);
    await page.getByRole('heading', { name: 'Sold out for now' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    await page.locator('#waiting-list-place').waitFor({ state: 'visible', timeout: 10_000 });

    assert.equal(await redis.del(familiesKey(fan.id)), 1, 'the login had its refresh tokens');
    await page.getByRole('heading', { name: 'Sign in to take your place' }).waitFor({ timeout: ACCESS_TTL_SECONDS * 1000 + 5_000 });
    const signedOutAt = Date.now();
    // The list polls every 2 s: 8 s would see it four times.
    await new Promise((r) => setTimeout(r, 8_000));
    const afterwards = calls.filter((c) => c.at > signedOutAt).map((c) => `${c.request.method()} ${new URL(c.request.url()).pathname}`);
    assert.deepEqual(afterwards, [], 'the signed-out page calls nothing');
    assert.equal(await page.locator('#waiting-list').isVisible(), false, 'no stale place shown under the sign-in form');

    await signInOnPage(page, fan);
    assert.equal(
      await page.locator('#waiting-list-place').textContent({ timeout: 15_000 }),
      'You are number 1 on the waiting list (0 ahead).',
      'signed in again, the list shows the place again',
    );
    assert.deepEqual(errors, []);
  });
});

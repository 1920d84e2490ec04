/**
 * The fan page in Chromium when something ends (issue 15): a turn whose claim window runs
 * out unused. What the fan sees then, and what the page sends. Screenshots in test-output/fan-page-endings/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Request } from 'playwright-core';
import { LINE_SETTING_BOUNDS } from '../../lib/waiting-room-limits.js';
import type { Booking } from '../../test/support/api-types.js';
import { createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { registerFan, startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { fanPageBrowsers, signInOnPage, storedAccessToken } from './fan-page-support.js';
import { admitted, eventually, join } from './line-support.js';

/** Short, so the page renews within seconds (at three quarters of the lifetime). */
const ACCESS_TTL_SECONDS = 6;
let platform: TestPlatform;
let admin: string;
let browsers: ReturnType<typeof fanPageBrowsers>;

before(async () => {
  platform = await startTestPlatform('fan-page-endings', { serviceEnv: { auth: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_SECONDS) } } });
  admin = mintFans(platform, 1, 'admin')[0].token;
  browsers = fanPageBrowsers(platform);
});
after(async () => {
  await browsers?.close();
  await platform?.stop();
});

const book = (fan: Fan, concertId: string, seatTypeId: string, admissionToken: string) =>
  platform.api.post<Booking>('/api/v1/bookings', { concertId, seatTypeId }, fan.token, { prefer: 'wait=20', 'x-admission-token': admissionToken });

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
    await page
      .locator('#book')
      .getByText('Your turn has passed')
      .waitFor({ timeout: turnEnd - Date.now() + 1_500 });
    assert.ok(Date.now() >= turnEnd - 50, 'not before the turn ended');
    assert.equal(await page.getByRole('button', { name: 'Book my ticket' }).isVisible(), false, 'no button a booking through would fail');
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

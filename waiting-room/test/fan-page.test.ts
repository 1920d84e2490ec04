/**
 * The fan page in headless Chromium through the whole platform (issue 15): a session that
 * outlives its access token, the booking shown again after a reload, prices in the
 * concert's currency, and the screenshots a reviewer looks at (test-output/fan-page/).
 * Access tokens live ACCESS_TTL_SECONDS here, so a wait of seconds spans several of them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Booking, Email, Session } from '../../test/support/api-types.js';
import { assertError } from '../../test/support/assertions.js';
import { createConcert, mintFans } from '../../test/support/fans.js';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { registerFan, startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { expiryOf, fanPageBrowsers, signInOnPage, storedAccessToken, type PageRecord } from './fan-page-support.js';
import { admitted, eventually, join } from './line-support.js';

const ACCESS_TTL_SECONDS = 6;
let platform: TestPlatform;
/** Minted (an hour long): the admin's own login would expire within the test. */
let admin: string;
let redis: ReturnType<typeof openRedis>;
let browsers: ReturnType<typeof fanPageBrowsers>;

before(async () => {
  platform = await startTestPlatform('fan-page', { serviceEnv: { auth: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_SECONDS) } } });
  admin = mintFans(platform, 1, 'admin')[0].token;
  redis = openRedis(platform.redisUrl);
  browsers = fanPageBrowsers(platform);
});
after(async () => {
  redis?.disconnect();
  await browsers?.close();
  await platform?.stop();
});

const book = (token: string, concertId: string, seatTypeId: string, admissionToken: string) =>
  platform.api.post<Booking>('/api/v1/bookings', { concertId, seatTypeId }, token, { prefer: 'wait=20', 'x-admission-token': admissionToken });

describe('the fan page in Chromium', () => {
  test('a fan signs up on a phone, keeps the place while the access token expires (and the network drops), books when admitted, and a reload shows the booking', async () => {
    const concert = await createConcert(platform, admin, {
      currency: 'GBP',
      seatTypes: [
        { name: 'Floor', capacity: 5 },
        { name: 'Balcony', capacity: 5, price: 12.5 },
      ],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, tokenTtlSeconds: 600 },
    });
    const concertId = concert.id;
    const balcony = concert.seatTypes[1].id;

    // The only slot is held until the test lets go (a claim window of 10 min, tokenTtlSeconds being
    // its earlier name), so the fan waits as long as the test needs, however slow the machine.
    const [holder] = mintFans(platform, 1);
    assert.equal((await join(platform, holder, concertId)).status, 200);
    const holding = await admitted(platform, holder, concertId);

    const context = await browsers.browser('phone');
    const { page, errors } = await browsers.openPage(context, concertId);
    await page.getByRole('button', { name: 'Create an account' }).click();
    const email = `signup-${Date.now()}@test.local`;
    await page.getByLabel('Your name').fill('Phone Fan');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create my account and join the line' }).click();
    await page.getByText('The password needs at least 8 characters').waitFor();
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Create my account and join the line' }).click();

    await page.locator('#line').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#position').textContent(), '2', 'behind the fan holding the slot');
    const joinedAt = Date.now();
    const firstToken = await storedAccessToken(page);
    assert.ok(firstToken, 'signed up: the access token is kept');
    await page.screenshot({ path: path.join(platform.outputDir, 'phone-waiting.png'), fullPage: true });
    // A second tab shares the tokens: both renew on the same schedule, and presenting the same
    // refresh token twice would end every session of the fan (rotation's reuse detection).
    const secondTab = await context.newPage();
    await secondTab.goto(page.url());
    await secondTab.locator('#line').waitFor({ state: 'visible' });
    assert.equal(await secondTab.locator('#position').textContent(), '2', 'the same place in the second tab');

    // The network goes away for longer than the token lives: nothing can be renewed meanwhile.
    await context.setOffline(true);
    await page.getByText('No connection').waitFor({ timeout: 10_000 });
    await new Promise((r) => setTimeout(r, Math.max(0, expiryOf(firstToken) - Date.now()) + 1000));
    assertError(await platform.api.get(`/api/v1/waiting-room/${concertId}/status`, firstToken), 401, 'token_expired');
    await context.setOffline(false);
    const renewed = await eventually(
      'the page renewed its expired access token',
      async () => {
        const token = await storedAccessToken(page);
        return token && token !== firstToken && expiryOf(token) > Date.now() ? token : undefined;
      },
      15_000,
      200,
    );
    assert.equal((await platform.api.get(`/api/v1/waiting-room/${concertId}/status`, renewed)).status, 200, 'the renewed token is good');
    // And once more without any network trouble: renewal before expiry keeps going.
    await eventually('a second renewal', async () => ((await storedAccessToken(page)) !== renewed ? true : undefined), ACCESS_TTL_SECONDS * 2000, 200);
    assert.equal(await page.locator('#position').textContent(), '2', 'still the same place');
    assert.ok(await page.locator('#line').isVisible(), 'still in line, not asked to sign in');
    assert.ok(await secondTab.locator('#line').isVisible(), 'the second tab is still in line too: the tabs took turns to renew');
    await secondTab.close();

    assert.equal((await book(holder.token, concertId, concert.seatTypes[0].id, holding.admissionToken)).status, 201);
    await page.getByRole('heading', { name: 'It is your turn' }).waitFor({ timeout: 30_000 });
    const waitedMs = Date.now() - joinedAt;
    assert.ok(Date.now() > expiryOf(firstToken), 'admitted after the access token it joined with expired');
    // The line broadcasts every 2 s; a screen reader heard the place at most every 30 s.
    const placeNews = (await page.evaluate(() => (window as unknown as PageRecord).announced)).filter((a) => /ahead of you|next in line/.test(a.text));
    assert.ok(placeNews.length >= 1 && placeNews.length <= 1 + Math.floor(waitedMs / 30_000), `place announcements: ${JSON.stringify(placeNews)}`);
    assert.match((await page.getByLabel('Seat type').textContent()) ?? '', /£12\.50/, 'prices in the concert currency');
    await page.getByLabel('Seat type').selectOption(balcony);
    await page.getByRole('button', { name: 'Book my ticket' }).click();
    await page.getByRole('heading', { name: /Booked!/ }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(platform.outputDir, 'phone-booked.png'), fullPage: true });

    const login = await platform.api.post<Session>('/api/v1/auth/login', { email, password: 'correct-horse-battery' });
    const mine = await platform.api.get<Booking[]>('/api/v1/bookings/my-bookings', login.body.accessToken);
    assert.equal(mine.body.length, 1);
    assert.equal(mine.body[0].seatTypeName, 'Balcony');
    assert.equal(await page.locator('#booking-ref').textContent(), mine.body[0].ticketRef, 'the page shows the ticket reference');

    // A reload finds the booking instead of offering to book again.
    await page.reload();
    await page.getByRole('heading', { name: 'You have a ticket for this concert' }).waitFor();
    assert.equal(await page.locator('#booking-ref').textContent(), mine.body[0].ticketRef);
    assert.equal(await page.locator('#booking-seat').textContent(), `Balcony, seat ${mine.body[0].seatNo}`);
    assert.equal(await page.locator('#booking-price').textContent(), '£12.50');
    assert.equal(await page.getByRole('button', { name: 'Book my ticket' }).isVisible(), false);
    await page.getByRole('link', { name: 'See all my bookings' }).click();
    await page.getByRole('heading', { level: 2, name: concert.name }).waitFor();
    assert.match((await page.locator('.bookings').textContent()) ?? '', new RegExp(`${mine.body[0].ticketRef}.*Balcony.*£12\\.50.*Confirmed`));
    await page.screenshot({ path: path.join(platform.outputDir, 'phone-my-bookings.png'), fullPage: true });

    // The email names the price in the concert's currency too.
    const emails = await eventually('the confirmation email', async () => {
      const inbox = await platform.api.get<Email[]>('/api/v1/notifications', login.body.accessToken);
      return inbox.body.find((e) => e.event === 'booking.confirmed');
    });
    assert.ok(emails.text.includes('£12.50'), emails.text);

    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling on a phone (${width}px)`);
    assert.deepEqual(errors, []);
  });
});

describe('coming back and selling out, on a desktop', () => {
  test('a fan whose page was closed for 5 minutes comes back to the same place; sold out says cancellations free seats, and one does', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 1 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, tokenTtlSeconds: 600 },
    });
    const [holder] = mintFans(platform, 1);
    await join(platform, holder, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    const fan = await registerFan(platform.api, 'desktop-fan');

    const context = await browsers.browser('desktop');
    const first = await browsers.openPage(context, concert.id);
    await signInOnPage(first.page, fan);
    await first.page.locator('#line').waitFor({ state: 'visible' });
    assert.equal(await first.page.locator('#position').textContent(), '2');
    await first.page.screenshot({ path: path.join(platform.outputDir, 'desktop-waiting.png'), fullPage: true });
    await first.page.close();

    // Five minutes away, cheaply: once the closed page's socket and polls are gone, the fan's
    // last sign of life is moved five minutes back, and the line ticks on (every 200 ms) past it.
    // The old rule (no sign of life for 60 s drops the place) drops the fan here.
    const k = waitingRoomKeys(concert.id);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(await redis.zadd(k.seen, 'XX', 'CH', Date.now() - 5 * 60_000, fan.id), 1, 'the fan had a last sign of life');
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(await redis.hexists(k.positions, fan.id), 1, 'the place is kept through the grace period');

    const { page, errors } = await browsers.openPage(context, concert.id);
    await page.locator('#line').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#position').textContent(), '2', 'the same place');
    assert.match((await page.locator('#place-kept').textContent()) ?? '', /your place is kept for 10 minutes/, 'the page says how long');

    // The holder books the last seat: sold out, and the page says why staying is worth it.
    const booked = await book(holder.token, concert.id, concert.seatTypes[0].id, holding.admissionToken);
    assert.equal(booked.status, 201);
    await page.getByRole('heading', { name: 'Sold out for now' }).waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#sold-out').textContent()) ?? '', /Cancellations can free seats/);
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageRecord).soldOutEvents), [concert.id], 'the waiting-list hook heard it');
    await page.screenshot({ path: path.join(platform.outputDir, 'desktop-sold-out.png'), fullPage: true });

    assert.equal((await platform.api.delete(`/api/v1/bookings/${booked.body.id}`, holder.token)).status, 200);
    await page.getByRole('heading', { name: 'It is your turn' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(platform.outputDir, 'desktop-your-turn.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});

describe('the waiting list on the page', () => {
  test('a fan told sold out joins the waiting list, sees the place, gets the seat a cancel frees with its countdown, and books it', async () => {
    const concert = await createConcert(platform, admin, {
      currency: 'GBP',
      seatTypes: [{ name: 'Floor', capacity: 1, price: 12.5 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1 },
    });
    const [holder] = mintFans(platform, 1);
    await join(platform, holder, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    const booked = await book(holder.token, concert.id, concert.seatTypes[0].id, holding.admissionToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));

    const fan = await registerFan(platform.api, 'listed-fan');
    const context = await browsers.browser('desktop');
    const { page, errors } = await browsers.openPage(context, concert.id);
    await signInOnPage(page, fan);
    await page.getByRole('heading', { name: 'Sold out for now' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    assert.equal(await page.locator('#waiting-list-place').textContent({ timeout: 10_000 }), 'You are number 1 on the waiting list (0 ahead).');

    // The holder cancels: the freed seat is held for the fan on the list, inside the same decision.
    assert.equal((await platform.api.delete(`/api/v1/bookings/${booked.body.id}`, holder.token)).status, 200);
    await page.getByRole('heading', { name: 'A seat is held for you' }).waitFor({ timeout: 30_000 });
    assert.match((await page.getByRole('alert').filter({ hasText: 'yours alone' }).textContent()) ?? '', /^Floor, £12\.50: it is yours alone/);
    assert.match(
      (await page.locator('#waiting-list-countdown').textContent()) ?? '',
      /^(9|10):\d\d left to accept$/,
      'the default 10-minute offer, counting down',
    );
    await page.screenshot({ path: path.join(platform.outputDir, 'desktop-waiting-list-offer.png'), fullPage: true });

    await page.getByRole('button', { name: 'Book it (Floor)' }).click();
    const confirmation = (await page.getByRole('status').filter({ hasText: 'Booked:' }).textContent({ timeout: 15_000 })) ?? '';
    const mine = await platform.api.get<Booking[]>(
      '/api/v1/bookings/my-bookings',
      (await platform.api.post<Session>('/api/v1/auth/login', { email: fan.email, password: fan.password })).body.accessToken,
    );
    assert.equal(mine.body.length, 1, `the fan holds the seat: ${JSON.stringify(mine.body)}`);
    assert.equal(confirmation, `Booked: Floor, seat ${mine.body[0].seatNo}. Ticket ${mine.body[0].ticketRef}.`);
    assert.deepEqual(errors, []);
  });
});

describe('the page without JavaScript', () => {
  test('says it needs JavaScript instead of "Loading…" forever', async () => {
    const context = await browsers.browser('desktop', { javaScriptEnabled: false });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${platform.gatewayUrl}/waiting-room/${'a'.repeat(24)}`);
    await page.getByRole('heading', { name: 'This page needs JavaScript' }).waitFor();
    assert.equal(await page.getByText('Loading the concert…').isVisible(), false);
  });
});

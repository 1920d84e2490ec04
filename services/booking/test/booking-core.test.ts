import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connect } from 'socket.io-client';
import type { z } from 'zod';
import type { Decision } from '../../../lib/booking-requests.js';
import type { concertResponse, seatTypeResponse } from '../../concert/concert.openapi.js';
import type { bookingRequestStatusResponse, bookingResponse, queuedBookingResponse } from '../booking.openapi.js';
import { assertError } from '../../../test/support/assertions.js';
import { finalAnswerOf, tally } from '../../../test/support/bookings.js';
import { adminToken, createConcert, mintFans } from '../../../test/support/fans.js';
import { checkInvariants } from '../../../test/support/invariants.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/test-platform.js';

type Booking = z.infer<typeof bookingResponse>;
type QueuedBooking = z.infer<typeof queuedBookingResponse>;
type BookingRequestStatus = z.infer<typeof bookingRequestStatusResponse>;
type Concert = z.infer<typeof concertResponse>;
type SeatType = z.infer<typeof seatTypeResponse>;

let platform: TestPlatform;
let admin: string;
/** A submission; the body is typed as the answer the test expects (a booking unless told otherwise). */
const book = <T = Booking>(token: string, concertId: string, seatTypeId: string, headers: Record<string, string> = { prefer: 'wait=30' }) =>
  platform.api.post<T>('/api/v1/bookings', { concertId, seatTypeId }, token, headers);

before(async () => {
  platform = await startTestPlatform('booking-core');
  admin = await adminToken(platform);
});
after(async () => platform?.stop());

describe('the booking core under real concurrency', () => {
  test('when 500 fans race for 100 seats at the same instant, exactly 100 are confirmed and 400 told sold_out', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 100 }] });
    const fans = mintFans(platform, 500);
    const answers = (await Promise.all(fans.map((f) => book(f.token, concert.id, concert.seatTypes[0].id)))).map(finalAnswerOf);
    assert.deepEqual(tally(answers), { confirmed: 100, 'rejected:sold_out': 400 });
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Floor: 100 });
    assert.deepEqual(report.remaining, { Floor: 0 });
    const read = await platform.api.get<Concert>(`/api/v1/concerts/${concert.id}`);
    assert.equal(read.body.seatTypes[0].remaining, 0);
    assert.equal(read.body.status, 'sold_out');
  });

  test('when one fan fires 20 submissions at once across seat types, exactly one is confirmed', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: 'A', capacity: 50 },
        { name: 'B', capacity: 50 },
        { name: 'C', capacity: 50 },
      ],
    });
    const [fan] = mintFans(platform, 1);
    const answers = (await Promise.all(Array.from({ length: 20 }, (_, i) => book(fan.token, concert.id, concert.seatTypes[i % 3].id)))).map(finalAnswerOf);
    assert.deepEqual(tally(answers), { confirmed: 1, 'rejected:already_booked': 19 });
    const mine = await platform.api.get<Booking[]>('/api/v1/bookings/my-bookings', fan.token);
    assert.equal(mine.body.length, 1);
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test('a cancelled seat is free at once for another fan; the canceller can book again; cancelling twice is 409', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Only', capacity: 1 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const [first, second] = mintFans(platform, 2);
    const booked = await book(first.token, concert.id, seatTypeId);
    assert.equal(booked.status, 201);
    assertError(await book(second.token, concert.id, seatTypeId), 409, 'sold_out');

    assertError(await platform.api.delete(`/api/v1/bookings/${booked.body.id}`, second.token), 404, 'not_found');
    const cancelled = await platform.api.delete<Booking>(`/api/v1/bookings/${booked.body.id}`, first.token);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.cancelledAt);
    assert.equal((await platform.api.get<SeatType>(`/api/v1/concerts/${concert.id}/seat-types/${seatTypeId}`)).body.remaining, 1);
    assertError(await platform.api.delete(`/api/v1/bookings/${booked.body.id}`, first.token), 409, 'already_cancelled');

    const taken = await book(second.token, concert.id, seatTypeId);
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    assert.equal(taken.body.seatNo, booked.body.seatNo);
    // The first fan may book again once a seat frees up: the second fan cancels, the first rebooks.
    assert.equal((await platform.api.delete(`/api/v1/bookings/${taken.body.id}`, admin)).status, 200);
    assert.equal((await book(first.token, concert.id, seatTypeId)).status, 201);
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.equal(report.cancelled, 2);
  });

  test('two concurrent cancels of one booking: one succeeds, one is told already_cancelled, the seat is freed once', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Pair', capacity: 2 }] });
    const [fan] = mintFans(platform, 1);
    const booked = await book(fan.token, concert.id, concert.seatTypes[0].id);
    const results = await Promise.all(Array.from({ length: 6 }, () => platform.api.delete(`/api/v1/bookings/${booked.body.id}`, fan.token)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((r) => r.status !== 200)) assertError(r, 409, 'already_cancelled');
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.remaining, { Pair: 2 });
  });

  test('a fan connected over Socket.IO receives booking:result; the 202 can also be polled', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Live', capacity: 5 }] });
    const [fan] = mintFans(platform, 1);
    const socket = connect(platform.gatewayUrl, { path: '/socket.io', auth: { token: fan.token }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const result = new Promise<Decision>((resolve) => socket.once('booking:result', resolve));
      const queued = await book<QueuedBooking>(fan.token, concert.id, concert.seatTypes[0].id, {});
      assert.equal(queued.status, 202);
      assert.deepEqual(Object.keys(queued.body).sort(), ['requestId', 'status']);
      assert.equal(queued.body.status, 'queued');
      const event = await result;
      assert.equal(event.requestId, queued.body.requestId);
      assert.equal(event.status, 'confirmed');
      assert.ok(event.booking, 'a confirmation carries its booking');
      const booking = event.booking;
      assert.equal(booking.concertId, concert.id);
      const polled = await platform.api.get<BookingRequestStatus>(`/api/v1/bookings/requests/${queued.body.requestId}`, fan.token);
      assert.equal(polled.body.status, 'confirmed');
      assert.equal(polled.body.booking?.id, booking.id);
      const [other] = mintFans(platform, 1);
      assertError(await platform.api.get(`/api/v1/bookings/requests/${queued.body.requestId}`, other.token), 404, 'not_found');
      assertError(await platform.api.get(`/api/v1/bookings/${booking.id}`, other.token), 404, 'not_found');
      assert.equal((await platform.api.get(`/api/v1/bookings/${booking.id}`, admin)).status, 200);
    } finally {
      socket.close();
    }
  });

  test('a socket without a valid token is refused', async () => {
    const socket = connect(platform.gatewayUrl, { path: '/socket.io', auth: { token: 'forged' }, transports: ['websocket'], reconnection: false });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    assert.equal(error.message, 'unauthorized');
  });

  test('a retried submission with the same Idempotency-Key gets the first answer and books once', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Idem', capacity: 10 }] });
    const [fan] = mintFans(platform, 1);
    const headers = { prefer: 'wait=30', 'idempotency-key': 'retry-me-123' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => book(fan.token, concert.id, concert.seatTypes[0].id, headers)));
    for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    const again = await book(fan.token, concert.id, concert.seatTypes[0].id, headers);
    assert.equal(again.body.id, answers[0].body.id);
    // Same key, different body (another seat-type id): refused, not replayed.
    const otherSeatType = concert.seatTypes[0].id.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const other = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: otherSeatType }, fan.token, headers);
    assertError(other, 422, 'idempotency_key_reused');
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Idem: 1 });
  });
});

describe('concerts and bookings refuse bad input', () => {
  test('creating concerts needs an admin and valid fields', async () => {
    const [fan] = mintFans(platform, 1);
    const valid = { name: 'X', venue: 'Y', startsAt: new Date(Date.now() + 3600_000).toISOString(), seatTypes: [{ name: 'GA', price: 1, capacity: 1 }] };
    assertError(await platform.api.post('/api/v1/concerts', valid), 401, 'unauthorized');
    assertError(await platform.api.post('/api/v1/concerts', valid, fan.token), 403, 'forbidden');
    const bad: unknown[] = [
      { ...valid, startsAt: new Date(Date.now() - 1000).toISOString() },
      { ...valid, startsAt: 'tomorrow' },
      { ...valid, seatTypes: [{ name: 'GA', price: -1, capacity: 1 }] },
      { ...valid, seatTypes: [{ name: 'GA', price: 1, capacity: 0 }] },
      { ...valid, seatTypes: [{ name: 'GA', price: 1, capacity: 1.5 }] },
      { ...valid, seatTypes: [{ name: 'GA', price: 1, capacity: 10_000_000 }] },
      {
        ...valid,
        seatTypes: [
          { name: 'GA', price: 1, capacity: 1 },
          { name: 'ga', price: 2, capacity: 1 },
        ],
      },
      { ...valid, name: { $gt: '' } },
      { ...valid, extra: true },
      { ...valid, currency: 'eur' },
      { ...valid, currency: 'EUD' },
      { ...valid, currency: 'EURO' },
    ];
    for (const body of bad) assertError(await platform.api.post('/api/v1/concerts', body, admin), 400, 'validation_failed');
    const priced = await platform.api.post<Concert>('/api/v1/concerts', { ...valid, currency: 'JPY' }, admin);
    assert.equal(priced.status, 201);
    assert.equal(priced.body.currency, 'JPY');
    assert.equal((await platform.api.get<Concert>(`/api/v1/concerts/${priced.body.id}`)).body.currency, 'JPY');
  });

  test('seat types: added by admins, names unique per concert, refused after the start', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'GA', capacity: 5 }] });
    assert.equal(concert.currency, 'EUR', 'prices are in euros unless the concert says otherwise');
    const added = await platform.api.post<SeatType>(
      `/api/v1/concerts/${concert.id}/seat-types`,
      { name: 'VIP', price: 99.5, capacity: 3, description: 'Front rows' },
      admin,
    );
    assert.equal(added.status, 201);
    assert.equal(added.body.remaining, 3);
    assertError(await platform.api.post(`/api/v1/concerts/${concert.id}/seat-types`, { name: 'vip', price: 1, capacity: 1 }, admin), 409, 'seat_type_exists');
    const list = await platform.api.get<SeatType[]>(`/api/v1/concerts/${concert.id}/seat-types`);
    assert.deepEqual(
      list.body.map((s) => s.name),
      ['GA', 'VIP'],
    );
    const [fan] = mintFans(platform, 1);
    assert.equal((await book(fan.token, concert.id, added.body.id)).status, 201);
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test('bad and unknown ids answer 404, never 500', async () => {
    const [fan] = mintFans(platform, 1);
    const unknown = '0123456789abcdef01234567';
    for (const path of [
      `/api/v1/concerts/${unknown}`,
      '/api/v1/concerts/not-an-id',
      `/api/v1/concerts/${unknown}/seat-types`,
      `/api/v1/concerts/${unknown}/seat-types/${unknown}`,
    ]) {
      assertError(await platform.api.get(path), 404, 'not_found');
    }
    assertError(await platform.api.get('/api/v1/bookings/not-an-id', fan.token), 404, 'not_found');
    assertError(await platform.api.get(`/api/v1/bookings/requests/${unknown}`, fan.token), 404, 'not_found');
    assertError(await platform.api.delete(`/api/v1/bookings/${unknown}`, fan.token), 404, 'not_found');
    assertError(await book(fan.token, unknown, unknown), 404, 'not_found');
  });

  test('booking submissions validate their body and need a token', async () => {
    const [fan] = mintFans(platform, 1);
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'GA', capacity: 5 }] });
    assertError(await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }), 401, 'unauthorized');
    for (const body of [
      {},
      { concertId: concert.id },
      { concertId: { $ne: null }, seatTypeId: concert.seatTypes[0].id },
      { concertId: concert.id, seatTypeId: 5 },
      { concertId: concert.id, seatTypeId: concert.seatTypes[0].id, userId: fan.id },
    ]) {
      assertError(await platform.api.post('/api/v1/bookings', body, fan.token), 400, 'validation_failed');
    }
    assertError(await book(fan.token, concert.id, concert.seatTypes[0].id, { 'idempotency-key': 'bad key with spaces' }), 400, 'validation_failed');
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { GA: 0 });
  });

  test('concert lists are upcoming first and paginated', async () => {
    const res = await platform.api.get<Concert[]>('/api/v1/concerts?limit=3');
    assert.equal(res.status, 200);
    assert.ok(res.body.length <= 3);
    const starts = res.body.map((c) => Date.parse(c.startsAt));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
    assertError(await platform.api.get('/api/v1/concerts?limit=1000'), 400, 'validation_failed');
    assertError(await platform.api.get('/api/v1/concerts?limit[$gt]=1'), 400, 'validation_failed');
  });
});

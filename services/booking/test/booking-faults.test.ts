import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import type { z } from 'zod';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import type { bookingResponse, queuedBookingResponse } from '../booking.openapi.js';
import { assertError } from '../../../test/support/assertions.js';
import { pollFinalAnswers, tally } from '../../../test/support/bookings.js';
import { adminToken, createConcert, mintFans, type Fan } from '../../../test/support/fans.js';
import { checkInvariants } from '../../../test/support/invariants.js';
import { startTestPlatform, type TestPlatform } from '../../../test/support/test-platform.js';

type Booking = z.infer<typeof bookingResponse>;
type QueuedBooking = z.infer<typeof queuedBookingResponse>;

let platform: TestPlatform;
let admin: string;
let redis: Redis;

// Short locks so a worker's stalled jobs are retried within seconds.
const workerEnv = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

before(async () => {
  platform = await startTestPlatform('booking-faults', { serviceEnv: { 'booking-worker': workerEnv } });
  admin = await adminToken(platform);
  redis = new Redis(platform.redisUrl);
});
after(async () => {
  redis?.disconnect();
  await platform?.stop();
});

/** Submits for every fan at once without waiting (202s) and returns the request ids. */
async function submitAll(fans: Fan[], concertId: string, seatTypeIds: string[]) {
  const responses = await Promise.all(
    fans.map((f, i) => platform.api.post<QueuedBooking>('/api/v1/bookings', { concertId, seatTypeId: seatTypeIds[i % seatTypeIds.length] }, f.token)),
  );
  for (const r of responses) assert.equal(r.status, 202, JSON.stringify(r.body));
  return responses.map((r) => r.body.requestId);
}

/**
 * Queues a storm while no worker runs (so every request is in the queue, none
 * fast-failed), then starts a worker and resolves once `started` bookings are confirmed.
 */
async function queueStormThenStart(fans: Fan[], concertId: string, seatTypeIds: string[], started: number) {
  await platform.services.get('booking-worker')!.stop();
  const requestIds = await submitAll(fans, concertId, seatTypeIds);
  await platform.startService('booking-worker');
  await waitUntil(`${started} bookings`, async () => (await confirmedCount(concertId)) >= started);
  return requestIds;
}

async function confirmedCount(concertId: string) {
  const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  try {
    return await db.collection('bookings').countDocuments({ concertId, status: 'confirmed' });
  } finally {
    await db.close();
  }
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the booking core survives faults', () => {
  test('start cut-off: requests queued before startsAt but decided after it are rejected concert_started; cancel after start is refused', async () => {
    const concert = await createConcert(platform, admin, { startsInMs: 4000, seatTypes: [{ name: 'Soon', capacity: 50 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const [early, ...late] = mintFans(platform, 21);
    const booked = await platform.api.post<Booking>('/api/v1/bookings', { concertId: concert.id, seatTypeId }, early.token, { prefer: 'wait=10' });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));

    await platform.services.get('booking-worker')!.stop();
    const requestIds = await submitAll(late, concert.id, [seatTypeId]);
    const startsAt = Date.parse(concert.startsAt);
    await waitUntil('the concert to start', () => Date.now() > startsAt + 50, 10_000);
    await platform.startService('booking-worker');

    const answers = await pollFinalAnswers(platform.api, admin, requestIds);
    assert.deepEqual(tally(answers.values()), { 'rejected:concert_started': 20 });
    assertError(await platform.api.delete(`/api/v1/bookings/${booked.body.id}`, early.token), 409, 'concert_started');
    assertError(await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, late[0].token), 409, 'concert_started');
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Soon: 1 });
  });

  test("Redis loses a concert's keys mid-sale: stock and holders are rebuilt from MongoDB and the invariants hold", async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Rebuilt', capacity: 1000 }] });
    const keys = concertKeys(concert.id);
    const fans = mintFans(platform, 1400);
    // A few fans submit twice: duplicates must still collapse across the rebuild.
    const repeaters = fans.slice(0, 50);
    const requestIds = await queueStormThenStart([...fans, ...repeaters], concert.id, [concert.seatTypes[0].id], 30);
    const deleted = await redis.del(keys.meta, keys.holders, keys.freeSeats(concert.seatTypes[0].id));
    const confirmedAtLoss = await confirmedCount(concert.id);
    assert.equal(deleted, 3, 'the keys existed');
    assert.ok(confirmedAtLoss < 1000, `the keys were lost after the sale ended (${confirmedAtLoss} confirmed)`);

    const answers = await pollFinalAnswers(platform.api, admin, requestIds, 90_000);
    const counts = tally(answers.values());
    assert.equal(counts.confirmed, 1000, JSON.stringify(counts));
    assert.equal((counts['rejected:sold_out'] ?? 0) + (counts['rejected:already_booked'] ?? 0), 450, JSON.stringify(counts));
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Rebuilt: 1000 });
    assert.deepEqual(report.remaining, { Rebuilt: 0 });
  });

  test('a concert whose keys are gone before anyone books is rebuilt on first use, once', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Cold', capacity: 40 }] });
    const keys = concertKeys(concert.id);
    await redis.del(keys.meta, keys.holders, keys.freeSeats(concert.seatTypes[0].id));
    const fans = mintFans(platform, 60);
    const requestIds = await submitAll(fans, concert.id, [concert.seatTypes[0].id]);
    const answers = await pollFinalAnswers(platform.api, admin, requestIds);
    assert.deepEqual(tally(answers.values()), { confirmed: 40, 'rejected:sold_out': 20 });
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });
});

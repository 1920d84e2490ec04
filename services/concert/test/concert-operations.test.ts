/**
 * The operator's changes to a live sale, black-box through the gateway against real
 * Redis and FerretDB: capacity added and sales or a seat type closed in the middle of
 * a booking storm, the start moved only while nothing is sold, the live figures and
 * the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import type { z } from 'zod';
import type { AuditEntry } from '../../../lib/audit-log.js';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import { openRedis } from '../../../lib/redis.js';
import type { Concert, SeatType } from '../../../test/support/api-types.js';
import { assertError } from '../../../test/support/assertions.js';
import { finalAnswerOf, tally, type FinalAnswer } from '../../../test/support/bookings.js';
import { adminToken, createConcert, mintFans } from '../../../test/support/fans.js';
import { checkInvariants } from '../../../test/support/invariants.js';
import { DEV_ADMIN, startTestPlatform, type TestPlatform } from '../../../test/support/test-platform.js';
import type { concertBookingsPageResponse } from '../../booking/booking.openapi.js';
import type { concertStatsResponse } from '../concert.openapi.js';
import type { WaitingListStatus } from '../../booking/waiting-list/waiting-list.schemas.js';

type ConcertStats = z.infer<typeof concertStatsResponse>;
type ConcertBookingsPage = z.infer<typeof concertBookingsPageResponse>;

let platform: TestPlatform;
let admin: string;

before(async () => {
  platform = await startTestPlatform('concert-operations');
  admin = await adminToken(platform);
});
after(async () => platform?.stop());

const op = <T>(method: string, url: string, body?: unknown, token = admin) => platform.api.request<T>(method, url, { token, body });

/** `count` fresh fans book `seatTypeId` at once, each waiting for its decision. */
async function wave(concertId: string, seatTypeId: string, count: number): Promise<FinalAnswer[]> {
  const fans = mintFans(platform, count);
  const answers = await Promise.all(fans.map((f) => platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, f.token, { prefer: 'wait=30' })));
  return answers.map(finalAnswerOf);
}

const merge = (...tallies: Array<Record<string, number>>) => {
  const all: Record<string, number> = {};
  for (const t of tallies) for (const [k, n] of Object.entries(t)) all[k] = (all[k] ?? 0) + n;
  return all;
};

describe('capacity added during a booking storm', () => {
  test('ten concurrent additions of 5 seats mid-storm sell exactly 40 + 50 seats, none twice', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 40 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const first = wave(concert.id, seatTypeId, 150);
    // Mid-storm: the first fans are being decided while the seats arrive.
    const adds = Promise.all(
      Array.from({ length: 10 }, () => op<SeatType>('POST', `/api/v1/concerts/${concert.id}/seat-types/${seatTypeId}/capacity`, { add: 5 })),
    );
    const [firstAnswers, added] = await Promise.all([first, adds]);
    for (const res of added) assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      added.map((r) => r.body.capacity).sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => 45 + 5 * i),
    );
    // Demand beyond the new capacity after the additions: whatever the first wave left is sold now.
    const secondAnswers = await wave(concert.id, seatTypeId, 100);
    assert.deepEqual(merge(tally(firstAnswers), tally(secondAnswers)), { confirmed: 90, 'rejected:sold_out': 160 });
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report, { capacity: { Floor: 90 }, confirmed: { Floor: 90 }, remaining: { Floor: 0 }, offered: { Floor: 0 }, cancelled: 0 });
  });

  test('a crash between the record and Redis loses no seat: the next addition brings Redis up to the record', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 3 }] });
    const seatTypeId = concert.seatTypes[0].id;
    // What a process that died after writing the record leaves: the record has 3 + 4, Redis 3.
    const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
    try {
      await db.collection('concerts').updateOne({ _id: new mongoose.Types.ObjectId(concert.id) }, { $inc: { 'seatTypes.0.capacity': 4 } });
    } finally {
      await db.close();
    }
    await assert.rejects(checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id), /Redis's capacity ≠ the record's/);
    const res = await op<SeatType>('POST', `/api/v1/concerts/${concert.id}/seat-types/${seatTypeId}/capacity`, { add: 2 });
    assert.equal(res.status, 200);
    assert.deepEqual({ capacity: res.body.capacity, remaining: res.body.remaining }, { capacity: 9, remaining: 9 });
    assert.deepEqual(tally(await wave(concert.id, seatTypeId, 12)), { confirmed: 9, 'rejected:sold_out': 3 });
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test('stock rebuilt from the record after Redis lost the keys keeps the added seats and the cut-offs', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: 'Floor', capacity: 2 },
        { name: 'Balcony', capacity: 2 },
      ],
    });
    const [floor, balcony] = concert.seatTypes.map((s) => s.id);
    assert.equal((await op('POST', `/api/v1/concerts/${concert.id}/seat-types/${floor}/capacity`, { add: 3 })).status, 200);
    assert.equal((await op('POST', `/api/v1/concerts/${concert.id}/seat-types/${balcony}/close`)).status, 200);
    const redis = openRedis(platform.redisUrl);
    const k = concertKeys(concert.id);
    await redis.del(k.meta, k.holders, k.freeSeats(floor), k.freeSeats(balcony));
    redis.disconnect();
    assert.deepEqual(tally(await wave(concert.id, floor, 7)), { confirmed: 5, 'rejected:sold_out': 2 });
    assert.deepEqual(tally(await wave(concert.id, balcony, 2)), { 'rejected:seat_type_closed': 2 });
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });
});

describe('closing during a booking storm', () => {
  test('close-sales mid-storm: nothing is decided at or after the cut-off it answers with', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 1000 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const storm = wave(concert.id, seatTypeId, 200);
    const closed = await op<Concert>('POST', `/api/v1/concerts/${concert.id}/close-sales`);
    assert.equal(closed.status, 200);
    assert.equal(closed.body.status, 'sales_closed');
    const cutOff = Date.parse(closed.body.salesClosedAt!);
    const during = tally(await storm);
    assert.deepEqual(
      Object.keys(during).filter((k) => k !== 'confirmed' && k !== 'rejected:sales_closed'),
      [],
    );
    // Everyone after the answer is refused, before the queue or by the decision.
    assert.deepEqual(tally(await wave(concert.id, seatTypeId, 50)), { 'rejected:sales_closed': 50 });
    const again = await op<Concert>('POST', `/api/v1/concerts/${concert.id}/close-sales`);
    assert.equal(again.body.salesClosedAt, closed.body.salesClosedAt, 'a second close keeps the first cut-off');
    // checkInvariants: every confirmed booking was decided before the cut-off (Redis time).
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.equal(report.confirmed.Floor, during.confirmed ?? 0);
    assert.ok(cutOff <= Date.now());
  });

  test('closing a seat type mid-storm: its later bookings are refused seat_type_closed, another seat type still sells', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: 'Floor', capacity: 1000 },
        { name: 'Balcony', capacity: 10 },
      ],
    });
    const [floor, balcony] = concert.seatTypes.map((s) => s.id);
    const storm = wave(concert.id, floor, 200);
    const closed = await op<SeatType>('POST', `/api/v1/concerts/${concert.id}/seat-types/${floor}/close`);
    assert.equal(closed.status, 200);
    assert.equal(closed.body.closed, true);
    const during = tally(await storm);
    assert.deepEqual(
      Object.keys(during).filter((k) => k !== 'confirmed' && k !== 'rejected:seat_type_closed'),
      [],
    );
    const soldBefore = (await op<ConcertStats>('GET', `/api/v1/concerts/${concert.id}/stats`)).body.seatTypes[0].sold;
    assert.deepEqual(tally(await wave(concert.id, floor, 30)), { 'rejected:seat_type_closed': 30 });
    assert.deepEqual(tally(await wave(concert.id, balcony, 5)), { confirmed: 5 });
    const stats = (await op<ConcertStats>('GET', `/api/v1/concerts/${concert.id}/stats`)).body;
    assert.equal(stats.seatTypes[0].sold, soldBefore, 'nothing sold after the close answered');
    assert.deepEqual(
      stats.seatTypes.map((s) => [s.name, s.closed, s.sold + s.held + s.remaining === s.capacity]),
      [
        ['Floor', true, true],
        ['Balcony', false, true],
      ],
    );
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });
});

describe('editing a concert, the figures and the audit log', () => {
  test('name, venue and description change any time; the start only while nothing is sold or held', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5 }] });
    const later = new Date(Date.now() + 48 * 3600_000).toISOString();
    const moved = await op<Concert>('PATCH', `/api/v1/concerts/${concert.id}`, { name: 'Renamed', description: 'Doors 18:30', startsAt: later });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual([moved.body.name, moved.body.description, moved.body.startsAt], ['Renamed', 'Doors 18:30', later]);
    assert.deepEqual(tally(await wave(concert.id, concert.seatTypes[0].id, 1)), { confirmed: 1 });
    assertError(
      await op('PATCH', `/api/v1/concerts/${concert.id}`, { startsAt: new Date(Date.now() + 72 * 3600_000).toISOString() }),
      409,
      'concert_has_sales',
    );
    const venue = await op<Concert>('PATCH', `/api/v1/concerts/${concert.id}`, { venue: 'Bigger Hall' });
    assert.deepEqual([venue.status, venue.body.venue, venue.body.startsAt], [200, 'Bigger Hall', later]);
    assertError(await op('PATCH', `/api/v1/concerts/${concert.id}`, { capacity: 10 }), 400, 'validation_failed');
    assertError(await op('PATCH', `/api/v1/concerts/${'0'.repeat(24)}`, { name: 'x' }), 404, 'not_found');
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test("the waiting list's offer time changes live: offers made after the change hold for it, from the record too", async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 2 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const [holderA, holderB, waiterA, waiterB] = mintFans(platform, 4);
    const bookingOf = async (f: { token: string }) =>
      finalAnswerOf(await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, f.token, { prefer: 'wait=30' })).bookingId!;
    const bookings = [await bookingOf(holderA), await bookingOf(holderB)];
    for (const f of [waiterA, waiterB])
      assert.equal((await platform.api.request('PUT', `/api/v1/waiting-lists/${concert.id}/me`, { token: f.token, body: {} })).status, 200);
    const offerSecondsOf = async (f: { token: string }, cancelled: string, holder: { token: string }) => {
      const before = Date.now();
      assert.equal((await platform.api.request('DELETE', `/api/v1/bookings/${cancelled}`, { token: holder.token })).status, 200);
      const place = await platform.api.request<WaitingListStatus>('GET', `/api/v1/waiting-lists/${concert.id}/me`, { token: f.token });
      assert.equal(place.body.status, 'offered', JSON.stringify(place.body));
      return (Date.parse(place.body.offer!.expiresAt) - before) / 1000;
    };

    const changed = await op<Concert>('PATCH', `/api/v1/concerts/${concert.id}`, { waitingList: { offerTtlSeconds: 45 } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.waitingList, { offerTtlSeconds: 45 });
    const first = await offerSecondsOf(waiterA, bookings[0], holderA);
    assert.ok(first > 40 && first <= 46, `offer held ${first} s, not 45`);

    // Redis lost the concert's keys: the change's own retry loads them from the record it wrote first.
    const redis = openRedis(platform.redisUrl);
    await redis.del(concertKeys(concert.id).meta);
    assert.equal((await op('PATCH', `/api/v1/concerts/${concert.id}`, { waitingList: { offerTtlSeconds: 90 } })).status, 200);
    assert.equal(await redis.hget(concertKeys(concert.id).meta, 'offerTtlMs'), '90000');
    redis.disconnect();
    const second = await offerSecondsOf(waiterB, bookings[1], holderB);
    assert.ok(second > 85 && second <= 91, `offer held ${second} s, not 90`);

    assertError(await op('PATCH', `/api/v1/concerts/${concert.id}`, { waitingList: {} }), 400, 'validation_failed');
    assertError(await op('PATCH', `/api/v1/concerts/${concert.id}`, { waitingList: { offerTtlSeconds: 5 } }), 400, 'validation_failed');
    const log = await op<{ items: AuditEntry[] }>('GET', `/api/v1/concerts/${concert.id}/audit?limit=1`);
    assert.deepEqual(log.body.items[0].details, { waitingList: { offerTtlSeconds: 90 } });
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test('every change is in the audit log, newest first, with who made it', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5 }] });
    const seatTypeId = concert.seatTypes[0].id;
    await op('PATCH', `/api/v1/concerts/${concert.id}`, { name: 'Audited' });
    await op('POST', `/api/v1/concerts/${concert.id}/seat-types/${seatTypeId}/capacity`, { add: 2 });
    await op('POST', `/api/v1/concerts/${concert.id}/seat-types/${seatTypeId}/close`);
    await op('POST', `/api/v1/concerts/${concert.id}/close-sales`);
    const log = await op<{ items: AuditEntry[] }>('GET', `/api/v1/concerts/${concert.id}/audit?limit=3`);
    assert.equal(log.status, 200);
    assert.deepEqual(
      log.body.items.map((e) => e.action),
      ['sales.close', 'seat-type.close', 'seat-type.capacity.add'],
    );
    assert.deepEqual(log.body.items[2].details, { seatTypeId, add: 2, capacity: 7 });
    assert.ok(log.body.items.every((e) => e.actor.email === DEV_ADMIN.email && e.concertId === concert.id));
    const refused = await op('GET', `/api/v1/concerts/${concert.id}/audit?limit=0`);
    assertError(refused, 400, 'validation_failed');
  });
});

describe("a concert's bookings for its operator", () => {
  test('pages follow the cursor to the end, each booking once; status and seat type filter; CSV holds them all, escaped', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: '=HYPERLINK("http://evil.test","Floor, front")', capacity: 20 },
        { name: 'Balcony', capacity: 20 },
      ],
    });
    const [floor, balcony] = concert.seatTypes.map((s) => s.id);
    const floorFans = mintFans(platform, 7);
    const book = (token: string, seatTypeId: string) =>
      platform.api.post<{ id: string }>('/api/v1/bookings', { concertId: concert.id, seatTypeId }, token, { prefer: 'wait=30' });
    const floorBookings = await Promise.all(floorFans.map((f) => book(f.token, floor)));
    const [balconyFan] = mintFans(platform, 1);
    await book(balconyFan.token, balcony);
    const cancelled = floorBookings[0].body.id;
    assert.equal((await platform.api.delete(`/api/v1/bookings/${cancelled}`, floorFans[0].token)).status, 200);

    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res: { status: number; body: ConcertBookingsPage } = await op<ConcertBookingsPage>(
        'GET',
        `/api/v1/bookings/by-concert/${concert.id}?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      seen.push(...res.body.items.map((b) => b.id));
      cursor = res.body.nextCursor;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(seen.length, 8);
    assert.equal(new Set(seen).size, 8, 'each booking once');

    const confirmedFloor = await op<ConcertBookingsPage>('GET', `/api/v1/bookings/by-concert/${concert.id}?status=confirmed&seatTypeId=${floor}`);
    assert.equal(confirmedFloor.body.items.length, 6);
    assert.ok(confirmedFloor.body.items.every((b) => b.status === 'confirmed' && b.seatTypeId === floor));
    assert.deepEqual(new Set(confirmedFloor.body.items.map((b) => b.userEmail)), new Set(floorFans.slice(1).map((f) => f.email)));
    const cancelledOnly = await op<ConcertBookingsPage>('GET', `/api/v1/bookings/by-concert/${concert.id}?status=cancelled`);
    assert.deepEqual(
      cancelledOnly.body.items.map((b) => b.id),
      [cancelled],
    );

    const csv = await platform.api.request<string>('GET', `/api/v1/bookings/by-concert/${concert.id}?format=csv&seatTypeId=${floor}`, { token: admin });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(csv.headers.get('content-disposition'), `attachment; filename=bookings-${concert.id}.csv`);
    const rows = csv.body.split('\r\n');
    assert.equal(rows.pop(), '', 'ends with a line break');
    assert.equal(rows.length, 1 + 7);
    assert.ok(
      rows.slice(1).every((r) => r.includes(`"'=HYPERLINK(""http://evil.test"",""Floor, front"")"`)),
      'the formula is defused and quoted',
    );

    assertError(await op('GET', `/api/v1/bookings/by-concert/${concert.id}?status=rejected`), 400, 'validation_failed');
    assertError(await op('GET', `/api/v1/bookings/by-concert/${concert.id}?cursor=nope`), 400, 'validation_failed');
    assertError(await op('GET', `/api/v1/bookings/by-concert/${'0'.repeat(24)}`), 404, 'not_found');
    assertError(await op('GET', `/api/v1/bookings/by-concert/${concert.id}`, undefined, floorFans[1].token), 403, 'forbidden');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { admitted, eventually, join, status, watchLine } from './line-support.js';

let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;

const book = (fan: Fan, concertId: string, seatTypeId: string, admissionToken: string, idempotencyKey?: string) =>
  platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, fan.token, {
    prefer: 'wait=20',
    'x-admission-token': admissionToken,
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  });

before(async () => {
  platform = await startTestPlatform('waiting-room-claim');
  admin = await adminToken(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  redis?.disconnect();
  await platform?.stop();
});

describe('the claim window', () => {
  test('six idle accounts ahead and three seats: the real fan is admitted within two claim windows and books', async () => {
    const claimWindowSeconds = 3;
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 3 }],
      waitingRoom: { enabled: true, admitPerSecond: 50, claimWindowSeconds },
    });
    const idle = mintFans(platform, 6);
    const [real] = mintFans(platform, 1);
    for (const fan of idle) assert.equal((await join(platform, fan, concert.id)).status, 200);
    assert.equal((await join(platform, real, concert.id)).status, 200);
    // The idle accounts are alive (they poll) but never book.
    const firstIdle = await admitted(platform, idle[0], concert.id);
    const since = Date.parse(firstIdle.expiresAt) - claimWindowSeconds * 1000;
    assert.equal(firstIdle.claimWindowSeconds, claimWindowSeconds);
    const mine = await admitted(platform, real, concert.id, 4 * claimWindowSeconds * 1000);
    const admittedAfterMs = Date.parse(mine.expiresAt) - claimWindowSeconds * 1000 - since;
    // Two windows of idle fans, plus the tick (200 ms) that frees the second batch.
    assert.ok(admittedAfterMs <= 2 * claimWindowSeconds * 1000 + 500, `the real fan was admitted ${admittedAfterMs} ms after the first idle one`);
    const booked = await book(real, concert.id, concert.seatTypes[0].id, mine.admissionToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    const stats = await platform.api.get<{ noShows: number }>(`/api/v1/waiting-room/${concert.id}/stats`, admin);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.noShows, 6, 'each idle admission counted as a no-show');
  });

  test('one admission token is used by one booking: concurrent uses, and cancelling and booking again, are refused', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 50, claimWindowSeconds: 60 },
    });
    const seatTypeId = concert.seatTypes[0].id;
    const [fan] = mintFans(platform, 1);
    await join(platform, fan, concert.id);
    const { admissionToken } = await admitted(platform, fan, concert.id);
    const answers = await Promise.all(Array.from({ length: 6 }, () => book(fan, concert.id, seatTypeId, admissionToken)));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, 403, 403, 403, 403, 403], JSON.stringify(answers.map((a) => a.body)));
    for (const refused of answers.filter((a) => a.status === 403)) assertError(refused, 403, 'admission_used');
    const booking = answers.find((a) => a.status === 201)!.body as { id: string };

    const cancelled = await platform.api.delete(`/api/v1/bookings/${booking.id}`, fan.token);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assertError(await book(fan, concert.id, seatTypeId, admissionToken), 403, 'admission_used');
  });

  test('a retry with the same Idempotency-Key is the same booking, not a second use', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 10 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });
    const [fan] = mintFans(platform, 1);
    await join(platform, fan, concert.id);
    const { admissionToken } = await admitted(platform, fan, concert.id);
    const first = await book(fan, concert.id, concert.seatTypes[0].id, admissionToken, 'key-1');
    const again = await book(fan, concert.id, concert.seatTypes[0].id, admissionToken, 'key-1');
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(again.body, first.body);
    assertError(await book(fan, concert.id, concert.seatTypes[0].id, admissionToken, 'key-2'), 403, 'admission_used');
  });
});

describe('lines that last hours', () => {
  test('a fan silent for two minutes keeps the place (grace 10 min by default) and status says until when', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 1, maxActive: 1 },
    });
    const [first, sleeper, short] = mintFans(platform, 3);
    await join(platform, first, concert.id);
    const joined = await join(platform, sleeper, concert.id);
    // The phone slept: its last sign of life is two minutes old (the old default dropped it after 60 s).
    await redis.zadd(waitingRoomKeys(concert.id).seen, 'XX', Date.now() - 120_000, sleeper.id);
    await new Promise((r) => setTimeout(r, 1000)); // five ticks
    const back = await status(platform, sleeper, concert.id);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.position, joined.body.position, 'the same place');
    assert.equal(back.body.graceSeconds, 600);
    const keptForMs = Date.parse(back.body.keptUntil!) - Date.now();
    assert.ok(keptForMs > 590_000 && keptForMs <= 600_000, `kept for ${keptForMs} ms`);

    // Past a concert's own grace period the place is gone.
    const brief = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 1, maxActive: 1, graceSeconds: 60 },
    });
    await join(platform, first, brief.id);
    await join(platform, short, brief.id);
    await redis.zadd(waitingRoomKeys(brief.id).seen, 'XX', Date.now() - 61_000, short.id);
    await eventually('the silent fan dropped', async () => (await status(platform, short, brief.id)).status === 404, 5000);
  });

  test('the join answer agrees with the status that follows it, in a burst', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 100 }],
      waitingRoom: { enabled: true, admitPerSecond: 1, maxActive: 1 },
    });
    const fans = mintFans(platform, 40);
    const joins = await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    const polls = await Promise.all(fans.map((f) => status(platform, f, concert.id)));
    joins.forEach((j, i) => {
      const p = polls[i];
      assert.equal(j.status, 200);
      if (j.body.status !== 'waiting' || p.body.status !== 'waiting') return;
      // Nobody left, so everyone between the serving counter and the fan is ahead.
      assert.equal(j.body.ahead, j.body.position! - j.body.serving - 1, `join: ${JSON.stringify(j.body)}`);
      const admittedBetween = p.body.serving - j.body.serving;
      assert.ok(
        p.body.ahead! <= j.body.ahead && p.body.ahead! >= j.body.ahead - admittedBetween,
        `join ${JSON.stringify(j.body)} then ${JSON.stringify(p.body)}`,
      );
    });
  });

  test('an account draws once in the pre-queue: leaving and joining again draws the same number', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, opensAt: new Date(Date.now() + 3600_000).toISOString() },
    });
    const [fan] = mintFans(platform, 1);
    const k = waitingRoomKeys(concert.id);
    await join(platform, fan, concert.id);
    const draw = await redis.zscore(k.preQueue, fan.id);
    for (let i = 0; i < 3; i++) {
      await redis.zrem(k.preQueue, fan.id); // as if dropped for silence
      await join(platform, fan, concert.id);
      assert.equal(await redis.zscore(k.preQueue, fan.id), draw);
    }
  });
});

describe('socket abuse limits', () => {
  const zaddCalls = async () => Number(/cmdstat_zadd:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);

  test('1,500 watches of random concert ids cost no presence writes, and the socket is closed', async () => {
    const [fan] = mintFans(platform, 1);
    const socket = await watchLine(platform, fan, 'f'.repeat(24));
    const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    const before = await zaddCalls();
    for (let i = 0; i < 1500; i++) socket.emit('waiting-room:watch', { concertId: Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('hex') });
    await closed;
    await new Promise((r) => setTimeout(r, 6000)); // past one presence heartbeat (5 s)
    const writes = (await zaddCalls()) - before;
    assert.ok(writes < 20, `ZADDs while flooded: ${writes}`);
  });

  test('one socket watches at most three lines', async () => {
    const concerts = await Promise.all(
      Array.from({ length: 5 }, () =>
        createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5 }], waitingRoom: { enabled: true, admitPerSecond: 1 } }),
      ),
    );
    const [fan, other] = mintFans(platform, 2);
    for (const c of concerts) await join(platform, other, c.id); // the lines tick (and broadcast) once someone joined
    const socket = await watchLine(platform, fan, concerts[0].id);
    try {
      const seen = new Set<string>();
      socket.on('waiting-room:update', (u: { concertId: string }) => seen.add(u.concertId));
      for (const c of concerts.slice(1)) socket.emit('waiting-room:watch', { concertId: c.id });
      await new Promise((r) => setTimeout(r, 4500)); // two keep-alive updates (every 2 s) of each watched line
      assert.equal(seen.size, 3, `updates from ${seen.size} lines`);
    } finally {
      socket.disconnect();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Socket } from 'socket.io-client';
import { QUEUES } from '../../lib/queues.js';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { admitted, eventually, join, status, watchLine } from './line-support.js';

let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;
const sockets: Socket[] = [];

const book = (fan: Fan, concertId: string, seatTypeId: string, admissionToken?: string) =>
  platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, fan.token, {
    prefer: 'wait=20',
    ...(admissionToken ? { 'x-admission-token': admissionToken } : {}),
  });

before(async () => {
  platform = await startTestPlatform('waiting-room');
  admin = await adminToken(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  for (const s of sockets) s.disconnect();
  redis?.disconnect();
  await platform?.stop();
});

describe('the waiting room line', () => {
  test('when 2,000 fans join at once, positions are exactly 1..2000 and joining again keeps the place', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 10 }], waitingRoom: { enabled: true, admitPerSecond: 1 } });
    const fans = mintFans(platform, 2000);
    const first = await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    for (const res of first) assert.equal(res.status, 200, JSON.stringify(res.body));
    const positions = first.map((r) => r.body.position as number);
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      Array.from({ length: 2000 }, (_, i) => i + 1),
    );

    const again = await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    assert.deepEqual(
      again.map((r) => r.body.position),
      positions,
      'a second join returns the same place',
    );
    const polled = await Promise.all(fans.slice(0, 200).map((f) => status(platform, f, concert.id)));
    assert.deepEqual(
      polled.map((r) => r.body.position),
      positions.slice(0, 200),
    );
    for (const res of polled) assert.ok(res.body.status === 'waiting' || res.body.status === 'admitted');
    const last = polled.find((r) => r.body.status === 'waiting')!;
    // A waiting fan after the opening has a place, so both are numbers.
    assert.ok(last.body.ahead! >= 0 && last.body.etaSeconds! >= 1, JSON.stringify(last.body));
  });

  test('with 5 fans/s admission and two waiting-room processes, every second of 10 admits 5 ± 1 fans, in position order', async () => {
    // A second copy competes for the concert's ticker lease: the rate must not double.
    await platform.startService('waiting-room', {}, 'waiting-room-2');
    const ttlSeconds = 300;
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 1000 }],
      waitingRoom: { enabled: true, admitPerSecond: 5, tokenTtlSeconds: ttlSeconds },
    });
    const fans = mintFans(platform, 75);
    const admittedAt = new Map<string, number>();
    const admittedEvents = new Map<string, number>();
    const updatesAt: number[] = [];
    for (const fan of fans) {
      const socket = await watchLine(platform, fan, concert.id);
      sockets.push(socket);
      socket.on('waiting-room:admitted', (event: { concertId: string; admissionToken: string; expiresAt: string }) => {
        assert.equal(event.concertId, concert.id);
        assert.ok(event.admissionToken);
        admittedAt.set(fan.id, Date.parse(event.expiresAt) - ttlSeconds * 1000);
        admittedEvents.set(fan.id, (admittedEvents.get(fan.id) ?? 0) + 1);
      });
      if (fan === fans[fans.length - 1])
        socket.on('waiting-room:update', (u: { concertId: string; updatedAt: number }) => u.concertId === concert.id && updatesAt.push(u.updatedAt));
    }
    const joined = await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    const positionOf = new Map(fans.map((f, i) => [f.id, joined[i].body.position as number]));
    await eventually('65 admissions', () => admittedAt.size >= 65, 60_000);

    const order = [...admittedAt].sort((a, b) => a[1] - b[1] || positionOf.get(a[0])! - positionOf.get(b[0])!);
    const positions = order.map(([id]) => positionOf.get(id)!);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      'admitted in position order',
    );
    assert.deepEqual(
      positions.slice(0, 10),
      Array.from({ length: 10 }, (_, i) => i + 1),
      'nobody skipped',
    );

    // Ten whole seconds, starting one second after the first admission (the line was filling up before).
    const start = order[0][1] + 1000;
    const perSecond = Array.from({ length: 10 }, (_, s) => order.filter(([, at]) => at >= start + s * 1000 && at < start + (s + 1) * 1000).length);
    for (const count of perSecond) assert.ok(count >= 4 && count <= 6, `admitted per second: ${perSecond.join(', ')}`);
    const total = perSecond.reduce((a, b) => a + b, 0);
    assert.ok(total >= 48 && total <= 52, `admitted in 10 s: ${total} (${perSecond.join(', ')})`);

    // One ticker per line: each admission announced once, and updates at the one ticker's pace (≤ 2/s), not twice that.
    assert.ok(
      [...admittedEvents.values()].every((n) => n === 1),
      'one waiting-room:admitted per fan',
    );
    const updatesInWindow = updatesAt.filter((at) => at >= start && at < start + 10_000).length;
    assert.ok(updatesInWindow >= 5 && updatesInWindow <= 22, `updates received in 10 s: ${updatesInWindow}`);
  });

  test('fans who join before the opening are admitted in a shuffled order, all before the first fan who joined after', async () => {
    const opensAt = Date.now() + 8000;
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 1000 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, opensAt: new Date(opensAt).toISOString() },
    });
    const early = mintFans(platform, 30);
    const late = mintFans(platform, 10);
    for (const fan of early) {
      const res = await join(platform, fan, concert.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'waiting');
      assert.equal(res.body.position, null, 'no place is given before the opening');
      assert.ok(res.body.etaSeconds! >= 1);
    }
    assert.ok(Date.now() < opensAt, 'the pre-queue filled before the opening (machine too slow?)');
    await eventually('the opening', async () => (await status(platform, early[0], concert.id)).body.position !== null, 30_000, 200);
    const latePositions: number[] = [];
    for (const fan of late) latePositions.push((await join(platform, fan, concert.id)).body.position as number);

    const earlyStatus = await Promise.all(early.map((f) => admitted(platform, f, concert.id)));
    const lateStatus = await Promise.all(late.map((f) => admitted(platform, f, concert.id)));
    const earlyPositions = earlyStatus.map((s) => s.position as number);
    assert.deepEqual(
      [...earlyPositions].sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.notDeepEqual(
      earlyPositions,
      Array.from({ length: 30 }, (_, i) => i + 1),
      'joining order is not the line order',
    );
    assert.deepEqual(
      latePositions,
      Array.from({ length: 10 }, (_, i) => i + 31),
      'later fans queue in arrival order behind',
    );
    assert.deepEqual(
      lateStatus.map((s) => s.position),
      latePositions,
    );
    const lastEarly = Math.max(...earlyStatus.map((s) => Date.parse(s.expiresAt)));
    const firstLate = Math.min(...lateStatus.map((s) => Date.parse(s.expiresAt)));
    assert.ok(lastEarly <= firstLate, 'every pre-queue fan was admitted before the first later fan');
  });
});

describe('status polling', () => {
  test('when hundreds of fans poll their status again and again, Redis is read about once per fan, not once per poll', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 10 }], waitingRoom: { enabled: true, admitPerSecond: 1 } });
    const fans = mintFans(platform, 300);
    await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    const before = await statusReads();
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const answers = await Promise.all(fans.map((f) => status(platform, f, concert.id)));
      for (const res of answers) assert.equal(res.status, 200);
    }
    const after = await statusReads();
    const answers = after.answer - before.answer;
    const placeReads = after.redis_place - before.redis_place;
    const snapshotReads = after.redis_snapshot - before.redis_snapshot;
    assert.equal(answers, rounds * fans.length);
    // Uncached, every poll would read the fan's place and the line: 1,500 of each.
    assert.ok(placeReads <= fans.length * 2, `place reads: ${placeReads} for ${answers} polls`);
    assert.ok(snapshotReads <= answers / 10, `line snapshot reads: ${snapshotReads} for ${answers} polls`);
  });
});

/** The waiting room's own count of status answers and the Redis reads behind them (its /metrics). */
async function statusReads(): Promise<Record<'answer' | 'redis_place' | 'redis_snapshot', number>> {
  const text = await (await fetch(`${platform.serviceUrl('waiting-room')}/metrics`)).text();
  const value = (kind: string) => Number(new RegExp(`^waiting_room_status_reads_total\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { answer: value('answer'), redis_place: value('redis_place'), redis_snapshot: value('redis_snapshot') };
}

describe('admission tokens and the inlet', () => {
  test("booking a concert with a waiting room needs the fan's own admission token for that concert", async () => {
    const room = { enabled: true, admitPerSecond: 50 };
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 10 }], waitingRoom: room });
    const other = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 10 }], waitingRoom: room });
    const seatTypeId = concert.seatTypes[0].id;
    const [fan, friend] = mintFans(platform, 2);

    assertError(await book(fan, concert.id, seatTypeId), 403, 'admission_required');
    assertError(await book(fan, concert.id, seatTypeId, 'not-a-token'), 403, 'admission_required');
    assertError(await status(platform, fan, concert.id), 404, 'not_in_line');

    await join(platform, fan, concert.id);
    await join(platform, friend, concert.id);
    await join(platform, fan, other.id);
    const mine = await admitted(platform, fan, concert.id);
    const friends = await admitted(platform, friend, concert.id);
    const mineElsewhere = await admitted(platform, fan, other.id);
    assert.ok(Date.parse(mine.expiresAt) > Date.now());
    assert.equal(Number(await redis.zcard(waitingRoomKeys(concert.id).active)), 2);

    assertError(await book(fan, concert.id, seatTypeId, friends.admissionToken), 403, 'admission_required');
    assertError(await book(fan, concert.id, seatTypeId, mineElsewhere.admissionToken), 403, 'admission_required');
    const booked = await book(fan, concert.id, seatTypeId, mine.admissionToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    assert.equal(await redis.zscore(waitingRoomKeys(concert.id).active, fan.id), null, 'booking frees the admission slot');
  });

  test('with maxActive 2, a third fan is let in only when an admitted fan books', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 100 }],
      waitingRoom: { enabled: true, admitPerSecond: 50, maxActive: 2 },
    });
    const fans = mintFans(platform, 5);
    for (const fan of fans) await join(platform, fan, concert.id);
    const first = await admitted(platform, fans[0], concert.id);
    await admitted(platform, fans[1], concert.id);
    // The cap holds over many ticks at 50 fans/s.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      assert.equal((await status(platform, fans[2], concert.id)).body.status, 'waiting');
      await new Promise((r) => setTimeout(r, 250));
    }
    const booked = await book(fans[0], concert.id, concert.seatTypes[0].id, first.admissionToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    await admitted(platform, fans[2], concert.id);
    assert.equal((await status(platform, fans[3], concert.id)).body.status, 'waiting');
  });

  test('the line never admits more fans than seats left, and stops and tells waiting fans at once when sold out', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Only', capacity: 1 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });
    const fans = mintFans(platform, 3);
    const socket = await watchLine(platform, fans[1], concert.id);
    sockets.push(socket);
    const soldOut = new Promise((resolve) => socket.once('waiting-room:sold-out', resolve));
    const updates: Array<{ soldOut?: boolean }> = [];
    socket.on('waiting-room:update', (u: { soldOut?: boolean }) => updates.push(u));
    for (const fan of fans) await join(platform, fan, concert.id);
    const first = await admitted(platform, fans[0], concert.id);
    assert.equal((await status(platform, fans[1], concert.id)).body.status, 'waiting', 'one seat left: one fan in');

    const booked = await book(fans[0], concert.id, concert.seatTypes[0].id, first.admissionToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    assert.deepEqual(await soldOut, { concertId: concert.id });
    const told = await eventually('sold_out status', async () => {
      const res = await status(platform, fans[2], concert.id);
      return res.body.status === 'sold_out' ? res.body : undefined;
    });
    assert.equal(told.etaSeconds, null);
    assert.ok(updates.some((u) => u.soldOut === true));
  });

  test('a used admission keeps its slot until the booking is decided: nobody is let in for the seat a queued booking may take', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Only', capacity: 1 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });
    const [holder, next] = mintFans(platform, 2);
    await join(platform, holder, concert.id);
    await join(platform, next, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    // The workers take no job while the queue is paused: the booking waits, as in a storm's queue.
    const queue = new Queue(QUEUES.bookings.name, { connection: redis, prefix: QUEUES.bookings.prefix });
    await queue.pause();
    try {
      const accepted = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, holder.token, {
        'x-admission-token': holding.admissionToken,
      });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      // Ten ticks at 50 fans/s with the seat still in stock: freeing the slot at submit let the next fan in here.
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        assert.equal((await status(platform, next, concert.id)).body.status, 'waiting', 'admitted for a seat the queued booking takes');
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok((await redis.zscore(waitingRoomKeys(concert.id).active, holder.id)) !== null, 'the slot is still held');
    } finally {
      await queue.resume();
      await queue.close();
    }
    // Decided: the seat is the holder's, the slot is free, and the next fan hears sold out instead of being let in.
    await eventually('the slot freed once decided', async () => (await redis.zscore(waitingRoomKeys(concert.id).active, holder.id)) === null);
    const told = await eventually('sold_out status', async () => {
      const res = await status(platform, next, concert.id);
      assert.notEqual(res.body.status, 'admitted');
      return res.body.status === 'sold_out' ? res.body : undefined;
    });
    assert.equal(told.status, 'sold_out');
  });

  test('join answers 404 for an unknown concert or one without a waiting room, 409 once it started', async () => {
    const [fan] = mintFans(platform, 1);
    assertError(await join(platform, fan, 'f'.repeat(24)), 404, 'not_found');
    assertError(await join(platform, fan, 'nope'), 404, 'not_found');
    const plain = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 1 }] });
    assertError(await join(platform, fan, plain.id), 404, 'not_found');
    const soon = await createConcert(platform, admin, { startsInMs: 2500, seatTypes: [{ name: 'Floor', capacity: 1 }], waitingRoom: { enabled: true } });
    await eventually('the concert to start', () => Date.now() > Date.parse(soon.startsAt) + 50, 10_000);
    assertError(await join(platform, fan, soon.id), 409, 'concert_started');
    assertError(await platform.api.post(`/api/v1/waiting-room/${plain.id}/join`, undefined), 401, 'unauthorized');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import type { Socket } from 'socket.io-client';
import { admitted, eventually, join, status, watchLine } from './line-support.js';

let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;
/** Low here, so that a handful of sockets reach it (every test fan connects from 127.0.0.1). */
const WATCHES_PER_IP = 5;

const book = (fan: Fan, concertId: string, seatTypeId: string, admissionToken: string, idempotencyKey?: string) =>
  platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, fan.token, {
    prefer: 'wait=20',
    'x-admission-token': admissionToken,
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  });

before(async () => {
  platform = await startTestPlatform('waiting-room-claim', { env: { WAITING_ROOM_WATCHES_PER_IP: String(WATCHES_PER_IP) } });
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
    // Watched in Redis, not by polling as the fan: a poll is a sign of life, and one flushed before the tick kept the place.
    await eventually('the silent fan dropped', async () => (await redis.zscore(waitingRoomKeys(brief.id).seen, short.id)) === null, 5000);
    // Its polls from now on cannot bring it back (signs of life only refresh a place that exists); the place cache lasts 5 s.
    await eventually('the dropped fan told 404', async () => (await status(platform, short, brief.id)).status === 404, 7000);
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

describe('the ETA', () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  /** The fans with these positions go silent a grace period (600 s, the default) ago: the next tick drops them. */
  const silence = (concertId: string, fans: Fan[]) => redis.zadd(waitingRoomKeys(concertId).seen, 'XX', ...fans.flatMap((f) => [Date.now() - 601_000, f.id]));
  const joinAll = async (concertId: string, fans: Fan[]) => {
    const answers = await Promise.all(fans.map((f) => join(platform, f, concertId)));
    for (const res of answers) assert.equal(res.status, 200, JSON.stringify(res.body));
    return answers.map((res, i) => ({ fan: fans[i], position: res.body.position! }));
  };

  test('with half the line abandoning, a fan at the 75 % place is quoted within 20 % of the wait it then has', async () => {
    const admitPerSecond = 60;
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5000 }], waitingRoom: { enabled: true, admitPerSecond } });
    const k = waitingRoomKeys(concert.id);
    const control = (action: 'pause' | 'resume') => platform.api.post(`/api/v1/waiting-room/${concert.id}/${action}`, undefined, admin);
    const serving = async () => Number(await redis.hget(k.state, 'serving'));
    try {
      // The line's history: 1,200 fans, those at even places left long ago, so every second position the front reaches is a gap.
      // Behind them 800 more, half of whom will go silent too, but none has yet: at the quote they are all still in line.
      assert.equal((await control('pause')).status, 200);
      const early = await joinAll(concert.id, mintFans(platform, 1200));
      const late = await joinAll(concert.id, mintFans(platform, 800));
      await silence(
        concert.id,
        early.filter((p) => p.position % 2 === 0).map((p) => p.fan),
      );
      await eventually('the silent early fans dropped', async () => (await redis.zcard(k.line)) === 600 + 800);
      assert.equal((await control('resume')).status, 200);
      await eventually('two thirds of the early line admitted', async () => (await serving()) >= 800, 30_000);

      const firstLate = Math.min(...late.map((p) => p.position));
      const deep = late.filter((p) => p.position % 2 === 1 && Math.abs(p.position - (firstLate + 600)) <= 20);
      const quotes = await Promise.all(
        deep.map(async (p) => {
          // Joining again answers the fan's place (and its ETA) as of now, like the first join did.
          const joined = await join(platform, p.fan, concert.id);
          const atMs = Date.now();
          const res = await status(platform, p.fan, concert.id);
          assert.equal(res.body.status, 'waiting', JSON.stringify(res.body));
          return { ...p, atMs, joinEta: joined.body.etaSeconds!, eta: res.body.etaSeconds!, ahead: res.body.ahead! };
        }),
      );
      await silence(
        concert.id,
        late.filter((p) => p.position % 2 === 0).map((p) => p.fan),
      );
      // They go before the front reaches them, as abandoners deep in a line do (else they would be admitted as no-shows).
      assert.ok((await serving()) < firstLate, 'the front was still in the early fans when the late ones went silent');
      const waits = await Promise.all(
        quotes.map(async (q) => {
          const at = await eventually(`fan at ${q.position} admitted`, () => redis.hget(k.admittedAt, q.fan.id), 60_000, 50);
          return (Number(at) - q.atMs) / 1000;
        }),
      );
      const error = (eta: (q: (typeof quotes)[number]) => number) => median(quotes.map((q, i) => Math.abs(eta(q) - waits[i]) / waits[i]));
      const summary = JSON.stringify(quotes.map((q, i) => ({ position: q.position, ahead: q.ahead, eta: q.eta, waited: waits[i].toFixed(1) })));
      // The scenario tells the estimators apart: every position ahead counted at the full rate is about twice the wait.
      assert.ok(error((q) => Math.ceil((q.ahead + 1) / admitPerSecond)) > 0.5, `positions ahead alone: ${summary}`);
      assert.ok(error((q) => q.eta) <= 0.2, `median |error| ${error((q) => q.eta).toFixed(2)}: ${summary}`);
      for (const q of quotes) {
        assert.ok(q.eta >= 1, 'never 0 while fans are ahead');
        // The join answer agrees with the status that follows it (the line may move a tick in between).
        assert.ok(Math.abs(q.joinEta - q.eta) <= 1, `join said ${q.joinEta} s, status ${q.eta} s`);
      }
    } finally {
      await control('pause'); // the fans left behind would keep the ticker writing during the next tests
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

  test('one client IP watches at most WAITING_ROOM_WATCHES_PER_IP (line, account) pairs, over all its sockets and accounts', async () => {
    const concerts = await Promise.all(
      Array.from({ length: 2 }, () =>
        createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 5 }], waitingRoom: { enabled: true, admitPerSecond: 1 } }),
      ),
    );
    const [other, ...fans] = mintFans(platform, 7);
    for (const c of concerts) await join(platform, other, c.id); // the lines tick (and broadcast) once someone joined
    const updated = new Map<Socket, Set<string>>();
    const watchBoth = async (fan: Fan, from?: string) => {
      const socket = await watchLine(platform, fan, concerts[0].id, from);
      socket.emit('waiting-room:watch', { concertId: concerts[1].id });
      const seen = new Set<string>();
      socket.on('waiting-room:update', (u: { concertId: string }) => seen.add(u.concertId));
      updated.set(socket, seen);
      return socket;
    };
    const watchedPairs = () => [...updated.values()].reduce((n, seen) => n + seen.size, 0);
    const observe = async () => {
      for (const seen of updated.values()) seen.clear();
      await new Promise((r) => setTimeout(r, 4500)); // two keep-alive updates (every 2 s) of each watched line
      return watchedPairs();
    };
    try {
      // Four accounts, a socket each, two lines each: 8 pairs from 127.0.0.1, each within the socket's and the account's caps.
      const local = await Promise.all(fans.slice(0, 4).map((f) => watchBoth(f)));
      assert.equal(await observe(), WATCHES_PER_IP, 'pairs getting updates from one IP');
      // Another client IP has a budget of its own.
      const elsewhere = await watchBoth(fans[4], '127.0.0.2');
      assert.equal(await observe(), WATCHES_PER_IP + 2, 'with a second IP');
      // Watches that end give the IP its room back.
      const full = local.filter((s) => updated.get(s)!.size === 2);
      assert.ok(full.length >= 1, 'some socket got both lines');
      for (const s of full) {
        s.disconnect();
        updated.delete(s);
      }
      elsewhere.disconnect();
      updated.delete(elsewhere);
      const late = await watchBoth(fans[5]);
      // Asked again until the node has handled the disconnects (a watch before that is ignored, as it should be).
      await eventually(
        'a new watch from the IP accepted',
        () => {
          for (const c of concerts) late.emit('waiting-room:watch', { concertId: c.id });
          return updated.get(late)!.size === 2;
        },
        10_000,
        1000,
      );
    } finally {
      for (const s of updated.keys()) s.disconnect();
    }
  });
});

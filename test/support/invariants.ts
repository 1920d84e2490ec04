import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import mongoose from 'mongoose';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import { QUEUES } from '../../lib/queues.js';
import type { BookingDoc } from '../../lib/records/booking.record.js';
import type { ConcertDoc } from '../../lib/records/concert.record.js';
import { openRedis } from '../../lib/redis.js';
import { waitingListKeys } from '../../lib/waiting-list/waiting-list-keys.js';

/** Waits until the bookings queue has nothing waiting, active or delayed. */
export async function waitForQueueIdle(redisUrl: string, timeoutMs = 60_000) {
  const connection = openRedis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.bookings.name, { connection, prefix: QUEUES.bookings.prefix });
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      if (Object.values(counts).every((n) => n === 0)) return;
      if (Date.now() > until) throw new Error(`queue not idle after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export interface InvariantReport {
  capacity: Record<string, number>;
  confirmed: Record<string, number>;
  remaining: Record<string, number>;
  /** Seats held by open waiting-list offers, per seat type. */
  offered: Record<string, number>;
  cancelled: number;
}

/**
 * The invariants of ARCHITECTURE.md section 4, checked against the record
 * (MongoDB) and the fast state (Redis) once the queue is idle:
 *  1. confirmed ≤ capacity, and remaining in Redis = capacity − confirmed
 *  2. no fan holds two confirmed bookings for the concert
 *  3. nothing confirmed at or after startsAt, nothing cancelled after it
 *  plus: the free seats, the held seats and the seats of open waiting-list offers
 *  partition 1..capacity exactly (remaining = capacity − confirmed − open offers),
 *  Redis's holders are exactly the fans with a confirmed booking, and the waiting
 *  list (issue 16): one open offer per fan, none to a fan who holds a seat (once the
 *  ticker has passed such offers on), every offer's fan entry points at it, none open
 *  after the start. (A waiting fan may book another way; the next offer skips them.)
 *  An operator may change a live sale, so also: Redis knows the record's capacity
 *  of every seat type (capacity can grow) and its cut-offs (closed seat types,
 *  sales closed), and nothing was confirmed at or after sales closed.
 */
export async function checkInvariants(mongoUrl: string, redisUrl: string, concertId: string): Promise<InvariantReport> {
  await waitForQueueIdle(redisUrl);
  const db = await mongoose.createConnection(mongoUrl).asPromise();
  const redis = openRedis(redisUrl);
  try {
    const concert = await db.collection<ConcertDoc>('concerts').findOne({ _id: new mongoose.Types.ObjectId(concertId) });
    assert.ok(concert, 'concert exists');
    const bookings = await db.collection<BookingDoc>('bookings').find({ concertId }).toArray();
    const confirmed = bookings.filter((b) => b.status === 'confirmed');
    const startsAt = concert.startsAt.getTime();
    const keys = concertKeys(concertId);
    const w = waitingListKeys(concertId);
    const offers = Object.entries(await redis.hgetall(w.offers)).map(([offerId, raw]) => {
      const [userId, seatTypeId, seatNo, expiresAtMs] = raw.split('|');
      return { offerId, userId, seatTypeId, seatNo: Number(seatNo), expiresAtMs: Number(expiresAtMs) };
    });
    const listFans = await redis.hgetall(w.fans);
    const report: InvariantReport = {
      capacity: {},
      confirmed: {},
      remaining: {},
      offered: {},
      cancelled: bookings.filter((b) => b.status === 'cancelled').length,
    };

    assert.equal(await redis.hget(keys.meta, 'loaded'), '1', 'inventory loaded in Redis');
    for (const seatType of concert.seatTypes) {
      const id = String(seatType._id);
      const held = confirmed.filter((b) => b.seatTypeId === id);
      const free = (await redis.lrange(keys.freeSeats(id), 0, -1)).map(Number);
      const offered = offers.filter((o) => o.seatTypeId === id).map((o) => o.seatNo);
      report.capacity[seatType.name] = seatType.capacity;
      assert.equal(await redis.hget(keys.meta, `capacity:${id}`), String(seatType.capacity), `${seatType.name}: Redis's capacity ≠ the record's`);
      assert.equal(await redis.hget(keys.meta, `closed:${id}`), seatType.closed ? '1' : null, `${seatType.name}: closed in one store only`);
      report.confirmed[seatType.name] = held.length;
      report.remaining[seatType.name] = free.length;
      report.offered[seatType.name] = offered.length;
      assert.ok(held.length <= seatType.capacity, `${seatType.name}: ${held.length} confirmed > capacity ${seatType.capacity}`);
      assert.equal(free.length, seatType.capacity - held.length - offered.length, `${seatType.name}: remaining in Redis ≠ capacity − confirmed − open offers`);
      const all = [...free, ...held.map((b) => b.seatNo), ...offered].sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: seatType.capacity }, (_, i) => i + 1),
        `${seatType.name}: free + held + offered seats ≠ 1..capacity`,
      );
    }

    const perFan = new Map<string, number>();
    for (const b of confirmed) perFan.set(b.userId, (perFan.get(b.userId) ?? 0) + 1);
    const doubled = [...perFan].filter(([, n]) => n > 1);
    assert.equal(doubled.length, 0, `fans with two confirmed bookings: ${JSON.stringify(doubled)}`);

    for (const b of confirmed) assert.ok(b.createdAt.getTime() < startsAt, `booking ${String(b._id)} confirmed at/after startsAt`);
    const salesClosedAt = concert.salesClosedAt?.getTime();
    assert.equal(await redis.hget(keys.meta, 'salesClosedAtMs'), salesClosedAt === undefined ? null : String(salesClosedAt), 'sales closed in one store only');
    if (salesClosedAt !== undefined)
      for (const b of confirmed) assert.ok(b.createdAt.getTime() < salesClosedAt, `booking ${String(b._id)} confirmed at/after sales closed`);
    for (const b of bookings.filter((x) => x.status === 'cancelled'))
      assert.ok((b.cancelledAt as Date).getTime() < startsAt, `booking ${String(b._id)} cancelled at/after startsAt`);

    const holders = await redis.hgetall(keys.holders);
    const offeredFans = offers.map((o) => o.userId);
    assert.equal(new Set(offeredFans).size, offeredFans.length, 'a fan with two open offers');
    for (const o of offers) {
      assert.ok(!holders[o.userId], `fan ${o.userId} holds a seat and has open offer ${o.offerId}`);
      assert.ok(listFans[o.userId]?.endsWith(`|${o.offerId}`), `offer ${o.offerId}'s fan entry does not point at it`);
      assert.ok(o.expiresAtMs <= startsAt, `offer ${o.offerId} outlives the start`);
    }

    assert.equal(Object.keys(holders).length, confirmed.length, 'holders in Redis ≠ confirmed bookings');
    for (const b of confirmed) assert.ok(holders[b.userId]?.startsWith(`${String(b._id)}|`), `fan ${b.userId}'s hold is not booking ${String(b._id)}`);
    return report;
  } finally {
    await db.close();
    redis.disconnect();
  }
}

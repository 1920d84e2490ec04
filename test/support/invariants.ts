import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import mongoose from 'mongoose';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import { QUEUES } from '../../lib/queues.js';
import type { BookingDoc } from '../../lib/records/booking.record.js';
import type { ConcertDoc } from '../../lib/records/concert.record.js';
import { openRedis } from '../../lib/redis.js';

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
  cancelled: number;
}

/**
 * The invariants of ARCHITECTURE.md section 4, checked against the record
 * (MongoDB) and the fast state (Redis) once the queue is idle:
 *  1. confirmed ≤ capacity, and remaining in Redis = capacity − confirmed
 *  2. no fan holds two confirmed bookings for the concert
 *  3. nothing confirmed at or after startsAt, nothing cancelled after it
 *  plus: the free seats and the held seats partition 1..capacity exactly,
 *  and Redis's holders are exactly the fans with a confirmed booking.
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
    const report: InvariantReport = { capacity: {}, confirmed: {}, remaining: {}, cancelled: bookings.filter((b) => b.status === 'cancelled').length };

    assert.equal(await redis.hget(keys.meta, 'loaded'), '1', 'inventory loaded in Redis');
    for (const seatType of concert.seatTypes) {
      const id = String(seatType._id);
      const held = confirmed.filter((b) => b.seatTypeId === id);
      const free = (await redis.lrange(keys.freeSeats(id), 0, -1)).map(Number);
      report.capacity[seatType.name] = seatType.capacity;
      report.confirmed[seatType.name] = held.length;
      report.remaining[seatType.name] = free.length;
      assert.ok(held.length <= seatType.capacity, `${seatType.name}: ${held.length} confirmed > capacity ${seatType.capacity}`);
      assert.equal(free.length, seatType.capacity - held.length, `${seatType.name}: remaining in Redis ≠ capacity − confirmed`);
      const all = [...free, ...held.map((b) => b.seatNo)].sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: seatType.capacity }, (_, i) => i + 1),
        `${seatType.name}: free + held seats ≠ 1..capacity`,
      );
    }

    const perFan = new Map<string, number>();
    for (const b of confirmed) perFan.set(b.userId, (perFan.get(b.userId) ?? 0) + 1);
    const doubled = [...perFan].filter(([, n]) => n > 1);
    assert.equal(doubled.length, 0, `fans with two confirmed bookings: ${JSON.stringify(doubled)}`);

    for (const b of confirmed) assert.ok(b.createdAt.getTime() < startsAt, `booking ${String(b._id)} confirmed at/after startsAt`);
    for (const b of bookings.filter((x) => x.status === 'cancelled'))
      assert.ok((b.cancelledAt as Date).getTime() < startsAt, `booking ${String(b._id)} cancelled at/after startsAt`);

    const holders = await redis.hgetall(keys.holders);
    assert.equal(Object.keys(holders).length, confirmed.length, 'holders in Redis ≠ confirmed bookings');
    for (const b of confirmed) assert.ok(holders[b.userId]?.startsWith(`${String(b._id)}|`), `fan ${b.userId}'s hold is not booking ${String(b._id)}`);
    return report;
  } finally {
    await db.close();
    redis.disconnect();
  }
}

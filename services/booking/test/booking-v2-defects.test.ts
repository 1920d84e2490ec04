/**
 * The defects of issue 13, each reproduced in-process with a fault injected
 * exactly where it bites (a wrapped dependency of the booking service); each
 * failed on the booking service before "Booking path v2" (3a69cf5).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QueueEvents } from 'bullmq';
import { QUEUES } from '../../../lib/queues.js';
import type { ConcertDoc } from '../../../lib/records/concert.record.js';
import { AppError, type ErrorCode } from '../../../lib/errors.js';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import { createInventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import type { AuthenticatedUser } from '../../../lib/request-context.js';
import { concertModel } from '../../../lib/records/concert.record.js';
import { createConcert, eventually, hourFromNow, startStores, type TestStores } from '../../../test/support/stores.js';
import type { BookingService, SubmitAnswer } from '../booking.service.js';
import { fan, logger, startInProcessBooking, type InProcessBooking } from './in-process-booking.js';

let stores: TestStores;
let booking: InProcessBooking;

before(async () => {
  stores = await startStores('booking-v2-defects');
  booking = await startInProcessBooking(stores, 'defects');
});
after(async () => {
  await booking?.stop();
  await stores?.stop();
});

const failsWith = (code: ErrorCode) => (err: unknown) => err instanceof AppError && err.code === code;

async function concertOf(opts: { capacity?: number; startsAt?: Date } = {}) {
  const concert = await createConcert(booking.conn, { startsAt: opts.startsAt ?? hourFromNow(), capacity: opts.capacity ?? 1 });
  const concertId = String(concert._id);
  await createInventoryLoader(booking.redis, booking.inventory, concertModel(booking.conn), booking.bookings.model, logger).ensureLoaded(concertId);
  return { concert, concertId, seatTypeId: String(concert.seatTypes[0]._id), keys: concertKeys(concertId) };
}

/** Books a seat and waits for the confirmation. */
async function book(service: BookingService, user: AuthenticatedUser, concert: ConcertDoc, idempotencyKey?: string) {
  const answer = await service.submit(
    user,
    { concertId: String(concert._id), seatTypeId: String(concert.seatTypes[0]._id) },
    { waitSeconds: 10, idempotencyKey },
  );
  assert.equal(answer.status, 201, `booked: ${JSON.stringify(answer.body)}`);
  return answer.status === 201 ? answer.body : assert.fail('not booked');
}

/** Throws once, the first time `call` is made, then passes through. */
function throwOnce<A extends unknown[], R>(call: (...args: A) => Promise<R>, fault: string) {
  let thrown = false;
  const wrapped = (...args: A): Promise<R> => {
    if (thrown) return call(...args);
    thrown = true;
    return Promise.reject(new Error(fault));
  };
  return Object.assign(wrapped, { hasThrown: () => thrown });
}

describe('a: a fault between markCancelled and the release does not strand the seat', () => {
  for (const finisher of ['the fan retrying DELETE', 'a reconciler pass'] as const) {
    test(`the seat is released by ${finisher}, and the fan can book the concert again`, async () => {
      const c = await concertOf({ capacity: 1 });
      const user = fan();
      const plain = booking.service();
      const booked = await book(plain, user, c.concert);
      const release = throwOnce(
        (...args: Parameters<InProcessBooking['inventory']['release']>) => booking.inventory.release(...args),
        'injected: release lost',
      );
      const faulty = booking.service((deps) => ({ ...deps, inventory: { ...deps.inventory, release } }));

      await assert.rejects(faulty.cancel(user, booked.id), /injected: release lost/);
      assert.ok(release.hasThrown());
      // The fault really happened mid-flight: the record says cancelled, Redis still holds the seat.
      assert.equal((await booking.bookings.findById(booked.id))?.status, 'cancelled');
      assert.ok(await booking.redis.hget(c.keys.holders, user.id), 'still held after the fault');

      if (finisher === 'the fan retrying DELETE') {
        await assert.rejects(faulty.cancel(user, booked.id), failsWith('already_cancelled'));
      } else {
        const reconciler = booking.reconciler({ settleAfterMs: 1 });
        await eventually('the reconciler releases the seat', async () => ((await reconciler.pass())?.released ?? 0) >= 1);
        await reconciler.stop();
      }
      assert.equal(await booking.redis.hget(c.keys.holders, user.id), null, 'hold gone');
      assert.deepEqual(await booking.redis.lrange(c.keys.freeSeats(c.seatTypeId), 0, -1), [String(booked.seatNo)], 'seat back on the free list');
      const again = await book(plain, user, c.concert);
      assert.equal(again.seatNo, booked.seatNo);
    });
  }
});

describe('b: markCancelled commits but its reply is lost', () => {
  test('Redis and the record agree afterwards: cancelled and released, the hold not restored', async () => {
    const c = await concertOf({ capacity: 1 });
    const user = fan();
    const plain = booking.service();
    const booked = await book(plain, user, c.concert);
    let committed = false;
    const faulty = booking.service((deps) => ({
      ...deps,
      bookings: {
        ...deps.bookings,
        async markCancelled(id: string, cancelledAt: Date) {
          await deps.bookings.markCancelled(id, cancelledAt);
          committed = true;
          throw new Error('injected: reply lost');
        },
      },
    }));

    const cancelled = await faulty.cancel(user, booked.id).catch((err: unknown) => err);
    assert.ok(committed, 'the update landed');
    assert.equal((await booking.bookings.findById(booked.id))?.status, 'cancelled');
    assert.equal(await booking.redis.hget(c.keys.holders, user.id), null, 'Redis still holds a seat the record says is cancelled');
    assert.deepEqual(await booking.redis.lrange(c.keys.freeSeats(c.seatTypeId), 0, -1), [String(booked.seatNo)]);
    assert.ok(!(cancelled instanceof Error), `the cancel answered ${String(cancelled)}`);
    const other = fan();
    assert.equal((await book(plain, other, c.concert)).seatNo, booked.seatNo, 'someone else can book the seat');
  });
});

describe('c: the queue add fails after the request is recorded', () => {
  test('the reconciler queues it: exactly one final answer, and the Idempotency-Key replays it', async () => {
    const c = await concertOf({ capacity: 2 });
    const user = fan();
    const enqueue = throwOnce(booking.enqueue, 'injected: queue add failed');
    const faulty = booking.service((deps) => ({ ...deps, enqueue }));
    const body = { concertId: c.concertId, seatTypeId: c.seatTypeId };

    const first = await faulty.submit(user, body, { idempotencyKey: 'c-1' }).catch((err: unknown) => err);
    assert.ok(enqueue.hasThrown());
    const request = await booking.ledger.findByKey(user.id, 'c-1');
    assert.ok(request, `the request is in the record (first answer: ${JSON.stringify(first)})`);
    const requestId = String(request._id);
    assert.equal(await booking.queue.getJob(requestId), undefined, 'no job: the fault happened');

    const reconciler = booking.reconciler({ settleAfterMs: 1 });
    await eventually('the reconciler queues it', async () => (await reconciler.pass(), await booking.queue.getJob(requestId)));
    const status = await eventually('a final answer', async () => {
      const s = await faulty.requestStatus(user, requestId);
      return s.status !== 'queued' && s;
    });
    assert.equal(status.status, 'confirmed');
    await reconciler.pass();
    await reconciler.stop();
    assert.equal(booking.published.filter((d) => d.requestId === requestId).length, 1, 'exactly one answer');

    const replay = await faulty.submit(user, body, { idempotencyKey: 'c-1', waitSeconds: 2 });
    assert.equal(replay.status, 201, `the retry says ${JSON.stringify(replay.body)}`);
    assert.equal('id' in replay.body ? replay.body.id : undefined, requestId);
  });

  test('a retry with the same Idempotency-Key, before any reconciler pass, gets the answer rather than queued forever', async () => {
    const c = await concertOf({ capacity: 2 });
    const user = fan();
    const enqueue = throwOnce(booking.enqueue, 'injected: queue add failed');
    const faulty = booking.service((deps) => ({ ...deps, enqueue }));
    const body = { concertId: c.concertId, seatTypeId: c.seatTypeId };

    await faulty.submit(user, body, { idempotencyKey: 'c-2' }).catch(() => undefined);
    assert.ok(enqueue.hasThrown());
    const replay = await faulty.submit(user, body, { idempotencyKey: 'c-2', waitSeconds: 5 });
    assert.equal(replay.status, 201, `the retry says ${JSON.stringify(replay.body)}`);
  });
});

describe('d: a booking process whose clock runs 5 s fast', () => {
  test('does not refuse a valid booking as concert_started before the start (the concert starts in 3 s)', async () => {
    const c = await concertOf({ capacity: 1, startsAt: new Date(Date.now() + 3000) });
    const user = fan();
    const service = booking.service();
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + 5000;
    let answer: SubmitAnswer | Error;
    try {
      answer = await service.submit(user, { concertId: c.concertId, seatTypeId: c.seatTypeId }, {}).catch((err: Error) => err);
    } finally {
      Date.now = realNow;
    }
    if (answer instanceof Error) assert.fail(`refused: ${answer.message}`);
    assert.ok(answer.status === 202 || answer.status === 201);
    assert.ok(Date.now() < c.concert.startsAt.getTime(), 'answered before the start');
    if (answer.status === 202) {
      const requestId = answer.body.requestId;
      const status = await eventually('decided', async () => {
        const s = await service.requestStatus(user, requestId);
        return s.status !== 'queued' && s;
      });
      assert.equal(status.status, 'confirmed', `decided ${JSON.stringify(status)}`);
    }
  });
});

describe('status reads', () => {
  test('"queued" is remembered only until the job finishes: the next poll after its decision reads the decision', async () => {
    const c = await concertOf({ capacity: 1 });
    const user = fan();
    const service = booking.service();
    await booking.queue.pause();
    try {
      const submitted = await service.submit(user, { concertId: c.concertId, seatTypeId: c.seatTypeId }, {});
      assert.equal(submitted.status, 202);
      const requestId = 'requestId' in submitted.body ? submitted.body.requestId : '';
      assert.equal((await service.requestStatus(user, requestId)).status, 'queued');
      const finished = new Promise<void>((resolve) => {
        const events = new QueueEvents(QUEUES.bookings.name, { connection: stores.redis(), prefix: QUEUES.bookings.prefix });
        events.on('completed', ({ jobId }) => {
          if (jobId !== requestId) return;
          // Give the service's own subscription the same event before reading.
          setImmediate(() => void events.close().then(resolve));
        });
      });
      await booking.queue.resume();
      await finished;
      const status = await eventually(
        'the decision, well before "queued" would expire (2 s)',
        async () => {
          const s = await service.requestStatus(user, requestId);
          return s.status === 'confirmed' && s;
        },
        1000,
      );
      assert.equal(status.status, 'confirmed');
    } finally {
      await booking.queue.resume();
    }
  });
});

/**
 * The reconciler repairs Redis and the queue from the record, against a real
 * redis-server and FerretDB (one each for the file, a database per test). No
 * worker runs: a queued job stays in the queue, where the test can see it.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { createInventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import { createInventory, type Inventory } from '../../../lib/inventory/inventory.js';
import { createLogger } from '../../../lib/logger.js';
import { NOTIFICATION_JOBS, notificationJobId, QUEUES, type ReserveJobData } from '../../../lib/queues.js';
import { bookingRequestModel } from '../../../lib/records/booking-request.record.js';
import { ACTIVE_FAN_KEY, activeSeatKey, bookingModel, newTicketRef, rejectionDoc, type BookingDoc } from '../../../lib/records/booking.record.js';
import { createConcertCache } from '../../../lib/records/concert-cache.js';
import { concertModel } from '../../../lib/records/concert.record.js';
import { createConcert, databaseName, eventually, hourFromNow, newId, startStores, type TestStores } from '../../../test/support/stores.js';
import { bookingJobQueuer } from '../booking-queue.js';
import { createBookingReconciler, RECONCILE_KEYS, type BookingReconciler } from '../booking-reconciler.js';
import { createBookingRepository } from '../booking.repository.js';

const logger = createLogger('booking-reconciler-test', 'silent');
let stores: TestStores;
let redis: Redis;
let inventory: Inventory;
let queue: Queue;
let notifications: Queue;
let running: BookingReconciler[] = [];

before(async () => {
  stores = await startStores('booking-reconciler');
  redis = stores.redis();
  inventory = createInventory(redis);
  queue = new Queue(QUEUES.bookings.name, { connection: stores.redis(), prefix: QUEUES.bookings.prefix });
  notifications = new Queue(QUEUES.notifications.name, { connection: stores.redis(), prefix: QUEUES.notifications.prefix });
});
// The leader's lease is one key for every reconciler on this Redis: each test gives it back.
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});
after(async () => {
  await Promise.all([queue?.close(), notifications?.close()]);
  await inventory?.close();
  await stores?.stop();
});

const SETTLE_AFTER_MS = 5000;

async function world(label: string) {
  const conn = await stores.database(databaseName(label));
  const requests = bookingRequestModel(conn);
  await requests.createIndexes();
  const bookings = bookingModel(conn);
  const concert = await createConcert(conn, { startsAt: hourFromNow(), capacity: 3 });
  const concertId = String(concert._id);
  const seatTypeId = String(concert.seatTypes[0]._id);
  const queued: string[] = [];
  const addJob = bookingJobQueuer(queue, { attempts: 3, backoffMs: 100 });
  const enqueue = (job: ReserveJobData) => (queued.push(job.requestId), addJob(job));
  const concerts = createConcertCache(concertModel(conn));

  const reconciler = (connection = stores.redis()) => {
    const r = createBookingReconciler(
      { redis: connection, requests, bookings, enqueue, queue, notifications, inventory, concerts, logger },
      { everyMs: 60_000, settleAfterMs: SETTLE_AFTER_MS, fullWindowMs: 3_600_000, fullEveryMs: 3_600_000 },
    );
    running.push(r);
    return r;
  };

  /** An accepted request, `ageMs` old, with no job and no decision. */
  async function accepted(ageMs = 10_000) {
    const userId = newId();
    const requestId = newId();
    await requests.collection.insertOne({
      _id: new Types.ObjectId(requestId),
      userId,
      userEmail: `${userId}@test.local`,
      concertId,
      seatTypeId,
      idempotencyKey: requestId,
      submittedAt: new Date(Date.now() - ageMs),
    });
    return { requestId, userId, userEmail: `${userId}@test.local`, concertId, seatTypeId };
  }

  async function confirmedBooking(ageMs = 10_000, seatNo = 1): Promise<BookingDoc> {
    const r = await accepted(ageMs);
    const doc: BookingDoc = {
      _id: new Types.ObjectId(r.requestId),
      concertId,
      seatTypeId,
      seatTypeName: 'Floor',
      seatNo,
      price: 10,
      userId: r.userId,
      userEmail: r.userEmail,
      status: 'confirmed',
      fanKey: ACTIVE_FAN_KEY,
      seatKey: activeSeatKey(seatTypeId, seatNo),
      ticketRef: newTicketRef(),
      createdAt: new Date(Date.now() - ageMs),
    };
    await bookings.collection.insertOne(doc);
    return doc;
  }

  return {
    conn,
    concertId,
    seatTypeId,
    bookings,
    queued,
    enqueue,
    reconciler,
    accepted,
    confirmedBooking,
    loader: createInventoryLoader(redis, inventory, concertModel(conn), bookings, logger),
    keys: concertKeys(concertId),
  };
}

const emailJob = (event: 'confirmed' | 'cancelled', bookingId: string) =>
  notifications.getJob(notificationJobId(event === 'confirmed' ? NOTIFICATION_JOBS.bookingConfirmed : NOTIFICATION_JOBS.bookingCancelled, bookingId));

test('one leader at a time: of two reconcilers only one repairs; the other takes over once it stops', async () => {
  const w = await world('leader');
  const r = await w.accepted();
  const [a, b] = [w.reconciler(), w.reconciler()];
  const outcomes = await Promise.all([a.pass(), b.pass()]);
  assert.equal(outcomes.filter(Boolean).length, 1, `outcomes: ${JSON.stringify(outcomes)}`);
  assert.deepEqual(w.queued, [r.requestId], 'repaired once');
  assert.equal(await (outcomes[0] ? b : a).pass(), undefined, 'the follower stays a follower');

  await (outcomes[0] ? a : b).stop();
  const r2 = await w.accepted();
  const takeover = await (outcomes[0] ? b : a).pass();
  assert.ok(takeover, 'the other leads once the lease is given back');
  assert.equal(takeover.requeued, 1);
  assert.deepEqual(w.queued, [r.requestId, r2.requestId]);
});

test('an accepted request with no job and no decision, older than settleAfterMs, is queued once across two passes', async () => {
  const w = await world('requeue');
  const r = await w.accepted();
  const reconciler = w.reconciler();
  assert.equal((await reconciler.pass())?.requeued, 1);
  const job = await queue.getJob(r.requestId);
  assert.ok(job, 'queued');
  assert.equal((job.data as ReserveJobData).requeued, true, 'marked as maybe decided before');
  assert.equal((job.data as ReserveJobData).userId, r.userId);
  assert.equal((await reconciler.pass())?.requeued, 0);
  assert.deepEqual(w.queued, [r.requestId]);
});

test('a request younger than settleAfterMs is left alone (it may still be on its way into the queue)', async () => {
  const w = await world('young');
  const r = await w.accepted(100);
  assert.equal((await w.reconciler().pass())?.requeued, 0);
  assert.equal(await queue.getJob(r.requestId), undefined);
  assert.deepEqual(w.queued, []);
});

test('after its connection to Redis dropped (Redis may have lost writes), even a young request is queued at once', async () => {
  const w = await world('dropped');
  const connection = stores.redis();
  const reconciler = w.reconciler(connection);
  await reconciler.pass();
  const r = await w.accepted(100);
  assert.equal((await reconciler.pass())?.requeued, 0, 'left alone while Redis is fine');
  connection.disconnect(true);
  // Back after the drop, the reconciler repairs at once by itself.
  await eventually('queued after the drop', () => queue.getJob(r.requestId));
  assert.deepEqual(w.queued, [r.requestId]);
});

test('a decided request with no job (finished and removed) is not queued', async () => {
  const w = await world('decided');
  const rejected = await w.accepted();
  await w.bookings.collection.insertOne(rejectionDoc(rejected, 'sold_out', new Date(Date.now() - 10_000)));
  const confirmed = await w.confirmedBooking();
  const outcome = await w.reconciler().pass();
  assert.equal(outcome?.requeued, 0);
  assert.equal(await queue.getJob(rejected.requestId), undefined);
  assert.equal(await queue.getJob(String(confirmed._id)), undefined);
});

test('a cancelled booking still held in Redis is released (once)', async () => {
  const w = await world('cancelled');
  const booking = await w.confirmedBooking(20_000, 2);
  const bookingId = String(booking._id);
  await w.loader.ensureLoaded(w.concertId);
  assert.ok(await redis.hget(w.keys.holders, booking.userId));
  // The cancel was recorded, and its process died before the release.
  await createBookingRepository(w.conn).markCancelled(bookingId, new Date(Date.now() - 10_000));

  const reconciler = w.reconciler();
  const outcome = await reconciler.pass();
  assert.equal(outcome?.released, 1);
  assert.equal(await redis.hget(w.keys.holders, booking.userId), null);
  assert.deepEqual((await redis.lrange(w.keys.freeSeats(w.seatTypeId), 0, -1)).map(Number).sort(), [1, 2, 3]);
  assert.ok(await emailJob('cancelled', bookingId), 'its cancellation email is queued too');
  assert.equal((await reconciler.pass())?.released, 0);
  assert.equal((await redis.lrange(w.keys.freeSeats(w.seatTypeId), 0, -1)).length, 3, 'the seat went back once');
});

test('a confirmed booking with no email job gets one, and not twice', async () => {
  const w = await world('email');
  const booking = await w.confirmedBooking();
  const bookingId = String(booking._id);
  assert.equal(await emailJob('confirmed', bookingId), undefined);
  const reconciler = w.reconciler();
  assert.equal((await reconciler.pass())?.emailsQueued, 1);
  const job = await emailJob('confirmed', bookingId);
  assert.equal((job?.data as { userEmail?: string } | undefined)?.userEmail, booking.userEmail);
  assert.equal((await reconciler.pass())?.emailsQueued, 0);
});

test('after Redis is flushed, every accepted undecided request is queued at the next pass', async () => {
  const w = await world('flushall');
  const undecided = await Promise.all([w.accepted(), w.accepted(), w.accepted()]);
  const rejected = await w.accepted();
  await w.bookings.collection.insertOne(rejectionDoc(rejected, 'sold_out', new Date(Date.now() - 10_000)));
  for (const r of undecided) await w.enqueue({ ...r, submittedAt: Date.now() - 10_000 });
  const reconciler = w.reconciler();
  assert.equal((await reconciler.pass())?.requeued, 0, 'their jobs exist');

  await redis.flushall();
  for (const r of undecided) assert.equal(await queue.getJob(r.requestId), undefined);
  const outcome = await reconciler.pass();
  assert.equal(outcome?.requeued, 3);
  for (const r of undecided) assert.ok(await queue.getJob(r.requestId), `request ${r.requestId} queued again`);
  assert.equal(await queue.getJob(rejected.requestId), undefined);
});

test('between full passes a steady pass reads only what the hot path pointed at: a noted request whose job is missing is queued, an unnoted one waits', async () => {
  const w = await world('steady');
  const reconciler = w.reconciler();
  await reconciler.pass(); // the first pass is a full one
  const noted = await w.accepted();
  const unnoted = await w.accepted();
  await redis.zadd(RECONCILE_KEYS.accepted, Date.now() - 10_000, noted.requestId);
  const outcome = await reconciler.pass();
  assert.equal(outcome?.full, false);
  assert.equal(outcome?.requeued, 1);
  assert.deepEqual(w.queued, [noted.requestId]);
  assert.equal(await redis.zscore(RECONCILE_KEYS.accepted, noted.requestId), null, 'a looked-at hint is dropped');
  assert.equal(await queue.getJob(unnoted.requestId), undefined, 'an unnoted request waits for the next full pass');
});

test('a steady pass finishes a cancel the hot path noted and the record says happened: the seat is released', async () => {
  const w = await world('steady-cancel');
  const booking = await w.confirmedBooking(20_000, 3);
  const bookingId = String(booking._id);
  await w.loader.ensureLoaded(w.concertId);
  const reconciler = w.reconciler();
  await reconciler.pass(); // full: nothing to do yet
  await redis.zadd(RECONCILE_KEYS.cancelling, Date.now() - 10_000, bookingId);
  await createBookingRepository(w.conn).markCancelled(bookingId, new Date());
  const outcome = await reconciler.pass();
  assert.equal(outcome?.full, false);
  assert.equal(outcome?.released, 1);
  assert.equal(await redis.hget(w.keys.holders, booking.userId), null);
  assert.ok(await emailJob('cancelled', bookingId), 'its cancellation email is queued too');
});

test('a request the first full pass left unsettled, with no hint (its process stopped), is queued by one more full pass once settled', async () => {
  const w = await world('first-tail');
  const reconciler = w.reconciler();
  const r = await w.accepted(SETTLE_AFTER_MS - 1000);
  assert.equal((await reconciler.pass())?.requeued, 0, 'too young for the first pass');
  const followUp = await eventually(
    'a follow-up full pass queues it',
    async () => {
      const outcome = await reconciler.pass();
      return outcome?.full && outcome.requeued === 1 ? outcome : undefined;
    },
    SETTLE_AFTER_MS + 5000,
  );
  assert.equal(followUp.full, true);
  assert.deepEqual(w.queued, [r.requestId]);
});

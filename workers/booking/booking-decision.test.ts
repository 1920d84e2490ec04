import { freeAdmissionSlot } from '../../lib/admission-token.js';
/**
 * Every branch of the decision, with the real components (inventory scripts,
 * loader, recorder, concert cache, BullMQ notifications queue) against one
 * redis-server and one FerretDB for the file; each test has a database of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import mongoose, { Types, type Connection } from 'mongoose';
import type { Decision } from '../../lib/booking-requests.js';
import { ReserveCode } from '../../lib/inventory/inventory-codes.js';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import { createInventoryLoader } from '../../lib/inventory/inventory-loader.js';
import { createInventory, type Inventory } from '../../lib/inventory/inventory.js';
import { createLogger } from '../../lib/logger.js';
import { NOTIFICATION_JOBS, notificationJobId, QUEUES, type ReserveJobData } from '../../lib/queues.js';
import {
  ACTIVE_FAN_KEY,
  activeSeatKey,
  bookingModel,
  newTicketRef,
  rejectionDoc,
  type BookingDoc,
  type DecisionDoc,
} from '../../lib/records/booking.record.js';
import { createConcertCache } from '../../lib/records/concert-cache.js';
import { concertModel } from '../../lib/records/concert.record.js';
import { freePort } from '../../scripts/stack/processes.js';
import { createConcert, databaseName, hourFromNow, newId, startStores, type TestStores } from '../../test/support/stores.js';
import { createWaitingList } from '../../lib/waiting-list/waiting-list.js';
import { createBookingDecider, RecordUnreadableError } from './booking-decision.js';
import { createBookingRecorder } from './booking-recorder.js';

const logger = createLogger('booking-decision-test', 'silent');
let stores: TestStores;
let redis: Redis;
let inventory: Inventory;
let notifications: Queue;

before(async () => {
  stores = await startStores('booking-decision');
  redis = stores.redis();
  inventory = createInventory(redis);
  notifications = new Queue(QUEUES.notifications.name, { connection: stores.redis(), prefix: QUEUES.notifications.prefix });
});
after(async () => {
  await notifications?.close();
  await inventory?.close();
  await stores?.stop();
});

/** One test's world: its database, a concert in it, and a decider built of the real parts. */
async function world(label: string, opts: { capacity?: number; startsAt?: Date; conn?: Connection } = {}) {
  const conn = await stores.database(databaseName(label));
  const concert = await createConcert(conn, { startsAt: opts.startsAt ?? hourFromNow(), capacity: opts.capacity ?? 3 });
  const seatTypeId = String(concert.seatTypes[0]._id);
  const concertId = String(concert._id);
  const bookings = bookingModel(conn);
  const loader = createInventoryLoader(redis, inventory, concertModel(conn), bookings, logger);
  const recordOn = opts.conn ? bookingModel(opts.conn) : bookings;
  const recorder = createBookingRecorder(recordOn, logger, { maxBatch: 50, maxWaitMs: 2 });
  const published: Decision[] = [];
  const decider = createBookingDecider({
    inventory,
    loader,
    recorder,
    concerts: createConcertCache(concertModel(conn)),
    publisher: { publish: (_userId: string, decision: Decision) => void published.push(decision) },
    notifications,
    offers: createWaitingList(redis),
    logger,
    freeAdmissionSlot: (concertId, fanId) => freeAdmissionSlot(redis, concertId, fanId),
  });
  const keys = concertKeys(concertId);
  const request = (userId = newId()): ReserveJobData => ({
    requestId: newId(),
    concertId,
    seatTypeId,
    userId,
    userEmail: `${userId}@test.local`,
    submittedAt: Date.now(),
  });
  return {
    conn,
    concert,
    concertId,
    seatTypeId,
    bookings,
    loader,
    decider,
    published,
    keys,
    request,
    freeSeats: async () => (await redis.lrange(keys.freeSeats(seatTypeId), 0, -1)).map(Number),
    holdOf: (userId: string) => redis.hget(keys.holders, userId),
    recordOf: (requestId: string) => bookings.findById(requestId).lean<DecisionDoc>(),
    emailJob: (bookingId: string) => notifications.getJob(notificationJobId(NOTIFICATION_JOBS.bookingConfirmed, bookingId)),
    /** A booking written straight into the record, as an earlier attempt (or Redis losing writes) leaves it. */
    async recordBooking(data: ReserveJobData, seatNo: number): Promise<BookingDoc> {
      const doc: BookingDoc = {
        _id: new Types.ObjectId(data.requestId),
        concertId,
        seatTypeId,
        seatTypeName: 'Floor',
        seatNo,
        price: 10,
        userId: data.userId,
        userEmail: data.userEmail,
        status: 'confirmed',
        fanKey: ACTIVE_FAN_KEY,
        seatKey: activeSeatKey(seatTypeId, seatNo),
        ticketRef: newTicketRef(),
        createdAt: new Date(Date.now() - 1000),
      };
      await bookings.collection.insertOne(doc);
      return doc;
    },
  };
}

const holdSeat = (hold: string | null) => (hold ? Number(hold.replace(/^x\|/, '').split('|')[2]) : undefined);
const holdRequest = (hold: string | null) => hold?.replace(/^x\|/, '').split('|')[0];

describe('decide', () => {
  test('reserved → recorded: confirmed, booked in the record, held in Redis, email queued, fan told once', async () => {
    const w = await world('reserved');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.equal(decision.status, 'confirmed');
    assert.equal(decision.booking?.seatNo, 1);
    const record = await w.recordOf(data.requestId);
    assert.equal(record?.status, 'confirmed');
    assert.equal(holdRequest(await w.holdOf(data.userId)), data.requestId);
    assert.deepEqual(await w.freeSeats(), [2, 3]);
    assert.ok(await w.emailJob(data.requestId), 'confirmation email queued');
    assert.deepEqual(w.published, [decision]);
  });

  test('a refusal of the script is recorded as the request’s rejection (sold out)', async () => {
    const w = await world('soldout', { capacity: 1 });
    await w.loader.ensureLoaded(w.concertId);
    assert.equal((await w.decider.decide(w.request())).status, 'confirmed');
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.deepEqual(decision, { requestId: data.requestId, status: 'rejected', reason: 'sold_out' });
    assert.equal((await w.recordOf(data.requestId))?.status, 'rejected');
    assert.equal(await w.holdOf(data.userId), null);
  });

  test('concert started by Redis clock: rejected concert_started, recorded', async () => {
    const w = await world('started', { startsAt: new Date(Date.now() - 1000) });
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.equal(decision.reason, 'concert_started');
    assert.equal((await w.recordOf(data.requestId))?.status, 'rejected');
  });

  test('seat conflict: the record says the seat is someone else’s → that seat stays off the free list, another seat is booked', async () => {
    const w = await world('seatconflict');
    await w.loader.ensureLoaded(w.concertId);
    // Seat 1 is booked in the record, but Redis (loaded before) does not know.
    await w.recordBooking(w.request(), 1);
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.equal(decision.status, 'confirmed');
    assert.equal(decision.booking?.seatNo, 2);
    assert.equal(holdSeat(await w.holdOf(data.userId)), 2);
    assert.deepEqual(await w.freeSeats(), [3], 'seat 1 not given back: the record holds it');
  });

  test('fan conflict: the record has another active booking of this fan → seat released, rejected already_booked', async () => {
    const w = await world('fanconflict');
    await w.loader.ensureLoaded(w.concertId);
    const userId = newId();
    const earlier = w.request(userId);
    // The fan's booking of another request, in the record only (e.g. Redis lost it).
    await w.recordBooking(earlier, 3);
    const data = w.request(userId);
    const decision = await w.decider.decide(data);
    assert.deepEqual(decision, { requestId: data.requestId, status: 'rejected', reason: 'already_booked' });
    assert.equal(await w.holdOf(userId), null, 'the hold taken now is released');
    assert.deepEqual((await w.freeSeats()).sort(), [1, 2, 3], 'seat 1 is back');
    assert.equal((await w.recordOf(data.requestId))?.status, 'rejected');
    assert.deepEqual(w.published, [decision]);
  });

  test('already recorded with another seat: an earlier attempt recorded seat A, this one reserved B → B released, confirmed A', async () => {
    const w = await world('otherseat');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    const recorded = await w.recordBooking(data, 3);
    const decision = await w.decider.decide(data);
    assert.equal(decision.status, 'confirmed');
    assert.equal(decision.booking?.seatNo, 3);
    assert.equal(decision.booking?.ticketRef, recorded.ticketRef, 'the recorded ticket, not a new one');
    assert.equal(holdSeat(await w.holdOf(data.userId)), 3, 'Redis holds the recorded seat');
    assert.equal(holdRequest(await w.holdOf(data.userId)), data.requestId);
    assert.deepEqual((await w.freeSeats()).sort(), [1, 2], 'seat 1 (taken now) back, seat 3 off the list');
    assert.ok(await w.emailJob(data.requestId));
  });

  test('a retried job keeps its ticket reference: the booking recorded by the first try, its answer and its email', async () => {
    const w = await world('retryticket');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    const first = await w.decider.decide(data);
    const ticketRef = first.booking?.ticketRef;
    assert.ok(ticketRef && Buffer.from(ticketRef, 'base64url').length === 16, `a 16-byte ticket reference: ${ticketRef}`);
    // The first try's reply was lost after the write: the job runs again as if new (same seat, record already written).
    await (await w.emailJob(data.requestId))?.remove();
    const again = await w.decider.decide(data);
    assert.equal(again.booking?.seatNo, first.booking?.seatNo);
    assert.equal(again.booking?.ticketRef, ticketRef, 'the answer of the retry names the first ticket');
    assert.equal((await w.recordOf(data.requestId))?.ticketRef, ticketRef, 'the record keeps the first ticket');
    assert.equal(
      ((await w.emailJob(data.requestId))?.data as { ticketRef?: string } | undefined)?.ticketRef,
      ticketRef,
      'the email of the retry names the first ticket',
    );
    assert.equal((await w.decider.decide(data, { mayRepeat: true })).booking?.ticketRef, ticketRef, 'and so does a repeated job');
  });

  test('already recorded as a rejection: the seat taken now is released, the rejection stands', async () => {
    const w = await world('recordedrejection');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    await bookingModel(w.conn).collection.insertOne(rejectionDoc(data, 'service_unavailable', new Date()));
    const decision = await w.decider.decide(data);
    assert.deepEqual(decision, { requestId: data.requestId, status: 'rejected', reason: 'service_unavailable' });
    assert.equal(await w.holdOf(data.userId), null);
    assert.deepEqual((await w.freeSeats()).sort(), [1, 2, 3]);
    assert.equal((await w.recordOf(data.requestId))?.status, 'rejected');
  });

  test('a retried job after its reservation: the same seat, recorded once', async () => {
    const w = await world('retried');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    const reserved = await inventory.reserve(w.concertId, w.seatTypeId, data.userId, data.requestId);
    assert.equal(reserved.code, ReserveCode.Reserved);
    const decision = await w.decider.decide(data);
    assert.equal(decision.booking?.seatNo, reserved.seatNo);
    assert.equal(await w.bookings.countDocuments({ concertId: w.concertId }), 1);
    assert.deepEqual(await w.freeSeats(), [2, 3]);
  });

  test('not loaded → rebuilt from the record → retried: the seat booked in the record is not handed out again', async () => {
    const w = await world('notloaded');
    const holder = w.request();
    await w.recordBooking(holder, 1);
    assert.equal(await inventory.isLoaded(w.concertId), false);
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.equal(decision.booking?.seatNo, 2);
    assert.equal(holdRequest(await w.holdOf(holder.userId)), holder.requestId, 'the rebuild put back the recorded hold');
    assert.deepEqual(await w.freeSeats(), [3]);
  });

  test('not loaded and the concert is not in the record: rejected not_found', async () => {
    const w = await world('noconcert');
    const data = { ...w.request(), concertId: newId() };
    assert.deepEqual(await w.decider.decide(data), { requestId: data.requestId, status: 'rejected', reason: 'not_found' });
  });

  test('keys of another Redis run are stale: rebuilt from the record before deciding', async () => {
    const w = await world('stalerun');
    await w.loader.ensureLoaded(w.concertId);
    const holder = w.request();
    // Booked while Redis lost the write (a restart after appendfsync everysec).
    await w.recordBooking(holder, 1);
    await redis.hset(w.keys.meta, 'runId', '0'.repeat(40));
    const data = w.request();
    const decision = await w.decider.decide(data);
    assert.equal(decision.booking?.seatNo, 2);
    assert.equal(holdSeat(await w.holdOf(holder.userId)), 1);
  });

  test('mayRepeat with a decision in the record: no second answer, the email queued again, the hold restored', async () => {
    const w = await world('mayrepeat');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    const first = await w.decider.decide(data);
    assert.equal(w.published.length, 1);
    // Redis lost the hold and the email job.
    await redis.hdel(w.keys.holders, data.userId);
    await redis.rpush(w.keys.freeSeats(w.seatTypeId), String(first.booking?.seatNo));
    await (await w.emailJob(data.requestId))?.remove();
    assert.equal(await w.emailJob(data.requestId), undefined);

    const again = await w.decider.decide(data, { mayRepeat: true });
    assert.deepEqual(again, first);
    assert.equal(w.published.length, 1, 'the fan was told once, by the first run');
    assert.ok(await w.emailJob(data.requestId), 'confirmation email queued again');
    assert.equal(holdSeat(await w.holdOf(data.userId)), first.booking?.seatNo);
    assert.deepEqual(await w.freeSeats(), [2, 3]);
  });

  test('mayRepeat with a rejection in the record: the same rejection, nothing taken', async () => {
    const w = await world('mayrepeatrej');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    await bookingModel(w.conn).collection.insertOne(rejectionDoc(data, 'sold_out', new Date()));
    assert.deepEqual(await w.decider.decide(data, { mayRepeat: true }), { requestId: data.requestId, status: 'rejected', reason: 'sold_out' });
    assert.equal(await w.holdOf(data.userId), null);
    assert.deepEqual(w.published, []);
  });
});

describe('giveUp', () => {
  test('while the record is unreadable: RecordUnreadableError, nothing released, no answer', async () => {
    const dead = mongoose.createConnection(`mongodb://127.0.0.1:${await freePort()}/dead`, { serverSelectionTimeoutMS: 300, bufferCommands: false });
    dead.on('error', () => undefined);
    await dead.asPromise().catch(() => undefined);
    try {
      const w = await world('unreadable', { conn: dead });
      await w.loader.ensureLoaded(w.concertId);
      const data = w.request();
      await inventory.reserve(w.concertId, w.seatTypeId, data.userId, data.requestId);
      const hold = await w.holdOf(data.userId);
      await assert.rejects(w.decider.giveUp(data), RecordUnreadableError);
      assert.equal(await w.holdOf(data.userId), hold, 'the hold is kept: the booking may be in the record');
      assert.deepEqual(await w.freeSeats(), [2, 3]);
      assert.deepEqual(w.published, []);
    } finally {
      await dead.close();
    }
  });

  test('with no decision in the record: the seat released and the rejection recorded, fan told', async () => {
    const w = await world('giveupnone');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    await inventory.reserve(w.concertId, w.seatTypeId, data.userId, data.requestId);
    const decision = await w.decider.giveUp(data);
    assert.deepEqual(decision, { requestId: data.requestId, status: 'rejected', reason: 'service_unavailable' });
    assert.equal(await w.holdOf(data.userId), null);
    assert.deepEqual((await w.freeSeats()).sort(), [1, 2, 3]);
    const record = await w.recordOf(data.requestId);
    assert.equal(record?.status, 'rejected');
    assert.deepEqual(w.published, [decision]);
  });

  test('with the booking in the record: confirmed, nothing released', async () => {
    const w = await world('giveupbooked');
    await w.loader.ensureLoaded(w.concertId);
    const data = w.request();
    await inventory.reserve(w.concertId, w.seatTypeId, data.userId, data.requestId);
    await w.recordBooking(data, 1);
    const decision = await w.decider.giveUp(data);
    assert.equal(decision.status, 'confirmed');
    assert.equal(decision.booking?.seatNo, 1);
    assert.equal(holdRequest(await w.holdOf(data.userId)), data.requestId);
    assert.deepEqual(await w.freeSeats(), [2, 3]);
  });
});

/**
 * The waiting list (issue 16), in-process against one redis-server and FerretDB: joining,
 * offers made by the cancel itself, accepting through POST /bookings' path, declining,
 * expiry, the cut-off at the start, and the rebuild from the record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { AppError } from '../../../lib/errors.js';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import { concertModel, type ConcertDoc } from '../../../lib/records/concert.record.js';
import type { AuthenticatedUser } from '../../../lib/request-context.js';
import { waitingListKeys } from '../../../lib/waiting-list/waiting-list-keys.js';
import { databaseName, eventually, startStores, type TestStores } from '../../../test/support/stores.js';
import type { BookingService } from '../booking.service.js';
import { createWaitingListComponent, type WaitingListComponent } from '../waiting-list/waiting-list.component.js';
import { fan, logger, startInProcessBooking, type InProcessBooking } from './in-process-booking.js';

let stores: TestStores;
let booking: InProcessBooking;
let service: BookingService;
let wl: WaitingListComponent;
const events: Array<{ userId: string; event: string; payload: unknown }> = [];

before(async () => {
  stores = await startStores('waiting-list');
  booking = await startInProcessBooking(stores, databaseName('waiting-list'));
  wl = await createWaitingListComponent(
    {
      redis: booking.redis,
      mongo: booking.conn,
      bookings: booking.bookings.model,
      inventory: booking.inventory,
      loader: booking.loader,
      concerts: booking.concerts,
      notifications: booking.notifications,
      emit: (userId, event, payload) => void events.push({ userId, event, payload }),
      logger,
    },
    { everyMs: 3_600_000, recordEveryMs: 0 },
  );
  service = booking.service((deps) => ({ ...deps, offers: wl.lists, onSeatGivenBack: (id) => wl.announcer.soon(id) }));
});
after(async () => {
  await wl?.ticker.stop();
  await booking?.stop();
  await stores?.stop();
});

async function concertWith(capacities: number[], opts: { startsAt?: Date; offerTtlSeconds?: number } = {}): Promise<ConcertDoc> {
  const doc: ConcertDoc = {
    _id: new Types.ObjectId(),
    name: 'Night',
    venue: 'Hall',
    startsAt: opts.startsAt ?? new Date(Date.now() + 3_600_000),
    seatTypes: capacities.map((capacity, i) => ({ _id: new Types.ObjectId(), name: `T${i}`, nameKey: `t${i}`, price: 10 + i, capacity })),
    waitingRoom: { enabled: false },
    ...(opts.offerTtlSeconds ? { waitingList: { offerTtlSeconds: opts.offerTtlSeconds } } : {}),
    createdAt: new Date(),
  };
  await concertModel(booking.conn).collection.insertOne(doc);
  return doc;
}
const ids = (c: ConcertDoc) => ({ concertId: String(c._id), seatTypeIds: c.seatTypes.map((s) => String(s._id)) });

async function book(user: AuthenticatedUser, concertId: string, seatTypeId: string, offerId?: string) {
  const answer = await service.submit(user, { concertId, seatTypeId, ...(offerId ? { offerId } : {}) }, { waitSeconds: 10 });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body as { id: string; seatNo: number };
}
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof AppError ? err.code : (err as Error).message),
  );
/** Books every seat of the concert, one fan each. */
async function sellOut(c: ConcertDoc) {
  const sold: Array<{ user: AuthenticatedUser; bookingId: string; seatTypeId: string }> = [];
  for (const s of c.seatTypes)
    for (let i = 0; i < s.capacity; i++) {
      const user = fan();
      sold.push({ user, bookingId: (await book(user, String(c._id), String(s._id))).id, seatTypeId: String(s._id) });
    }
  return sold;
}
const cancel = (b: { user: AuthenticatedUser; bookingId: string }) => service.cancel(b.user, b.bookingId);

describe('joining the waiting list', () => {
  test('only once sold out; places in join order; joining twice keeps the place; a ticket holder cannot join; leaving', async () => {
    const c = await concertWith([1, 1]);
    const { concertId, seatTypeIds } = ids(c);
    const [a, b, x] = [fan(), fan(), fan()];
    assert.equal(await codeOf(wl.service.join(a, concertId, seatTypeIds[0])), 'seats_available');
    const [sold] = await sellOut(c);
    assert.equal(await codeOf(wl.service.join(sold.user, concertId, seatTypeIds[0])), 'already_booked');
    const first = await wl.service.join(a, concertId, seatTypeIds[0]);
    assert.deepEqual({ status: first.status, position: first.position, ahead: first.ahead }, { status: 'waiting', position: 1, ahead: 0 });
    const second = await wl.service.join(b, concertId, undefined);
    assert.deepEqual({ position: second.position, seatTypeId: second.seatTypeId }, { position: 2, seatTypeId: null });
    assert.equal((await wl.service.join(a, concertId, seatTypeIds[0])).position, 1, 'joining twice keeps the place');
    assert.equal(await codeOf(wl.service.join(a, concertId, seatTypeIds[1])), 'waiting_for_other_choice');
    assert.equal(await codeOf(wl.service.join(x, new Types.ObjectId().toHexString(), undefined)), 'not_found');
    await wl.service.leave(a, concertId);
    assert.equal(await codeOf(wl.service.status(a, concertId)), 'not_on_waiting_list');
    assert.equal((await wl.service.status(b, concertId)).position, 1, 'the fan behind moves up');
  });
});

describe('offers', () => {
  test('a cancel offers its seat to the head of the list in the same step: nobody else can take it; the fan accepts with the offer', async () => {
    const c = await concertWith([1]);
    const { concertId, seatTypeIds } = ids(c);
    const [sold] = await sellOut(c);
    const [a, b, other] = [fan(), fan(), fan()];
    await wl.service.join(a, concertId, seatTypeIds[0]);
    await wl.service.join(b, concertId, undefined);
    await cancel(sold);
    const offered = await wl.service.status(a, concertId);
    assert.equal(offered.status, 'offered');
    assert.ok(offered.offer);
    // The seat is on no free list: a fan from the queue is refused.
    assert.equal(await codeOf(book(other, concertId, seatTypeIds[0])), 'sold_out');
    assert.equal(await codeOf(book(b, concertId, seatTypeIds[0], offered.offer.offerId)), 'offer_not_open', 'not for another fan');
    await eventually('the offer announced', () => Promise.resolve(events.find((e) => e.userId === a.id && e.event === 'waiting-list:offer')));
    await eventually('the offer email queued', async () =>
      (await booking.notifications.getJobs(['waiting', 'delayed', 'active', 'completed'])).find(
        (j) => j.name === 'waiting-list.offer' && (j.data as { userId: string }).userId === a.id,
      ),
    );
    const accepted = await book(a, concertId, seatTypeIds[0], offered.offer.offerId);
    const cancelledSeat = (await booking.bookings.findById(sold.bookingId))!.seatNo;
    assert.equal(accepted.seatNo, cancelledSeat, 'the offered seat is the one freed');
    assert.equal(await codeOf(wl.service.status(a, concertId)), 'not_on_waiting_list');
    await wl.announcer.sync(concertId);
    assert.equal((await wl.records.offers.findById(offered.offer.offerId).lean())?.status, 'accepted');
  });

  test('declining passes the seat to the next fan; with nobody left it is free stock', async () => {
    const c = await concertWith([1]);
    const { concertId, seatTypeIds } = ids(c);
    const [sold] = await sellOut(c);
    const [a, b] = [fan(), fan()];
    await wl.service.join(a, concertId, seatTypeIds[0]);
    await wl.service.join(b, concertId, seatTypeIds[0]);
    await cancel(sold);
    const offerA = (await wl.service.status(a, concertId)).offer!;
    await wl.service.decline(a, concertId, offerA.offerId);
    const offerB = (await wl.service.status(b, concertId)).offer!;
    assert.ok(offerB, 'passed to the next fan');
    await wl.service.leave(b, concertId); // leaving with an offer declines it
    assert.equal((await booking.inventory.remaining(concertId, seatTypeIds))?.get(seatTypeIds[0]), 1, 'nobody left: free');
    await wl.announcer.sync(concertId);
    assert.equal((await wl.records.offers.findById(offerA.offerId).lean())?.status, 'declined');
    assert.equal((await wl.records.offers.findById(offerB.offerId).lean())?.status, 'declined');
  });

  test('offers follow join order across the seat type line and the "any" line', async () => {
    const c = await concertWith([1, 1]);
    const { concertId, seatTypeIds } = ids(c);
    const sold = await sellOut(c);
    const [anyFan, t0Fan, t1Fan] = [fan(), fan(), fan()];
    await wl.service.join(anyFan, concertId, undefined);
    await wl.service.join(t0Fan, concertId, seatTypeIds[0]);
    await wl.service.join(t1Fan, concertId, seatTypeIds[1]);
    await cancel(sold[0]); // a T0 seat: the "any" fan joined first
    assert.equal((await wl.service.status(anyFan, concertId)).offer?.seatTypeId, seatTypeIds[0]);
    assert.equal((await wl.service.status(t0Fan, concertId)).status, 'waiting');
    await cancel(sold[1]); // a T1 seat: the T1 fan (the "any" fan has an offer already: one per fan)
    assert.equal((await wl.service.status(t1Fan, concertId)).offer?.seatTypeId, seatTypeIds[1]);
  });

  test('an offer expires after the concert’s time and passes on; accepting it late is refused', async () => {
    const c = await concertWith([1], { offerTtlSeconds: 1 });
    const { concertId, seatTypeIds } = ids(c);
    const [sold] = await sellOut(c);
    const [a, b] = [fan(), fan()];
    await wl.service.join(a, concertId, seatTypeIds[0]);
    await wl.service.join(b, concertId, seatTypeIds[0]);
    await cancel(sold);
    const offerA = (await wl.service.status(a, concertId)).offer!;
    assert.ok(Date.parse(offerA.expiresAt) - Date.now() <= 1000);
    await new Promise((r) => setTimeout(r, Date.parse(offerA.expiresAt) - Date.now() + 20));
    // Decided by Redis's clock even before any tick has run.
    assert.equal(await codeOf(book(a, concertId, seatTypeIds[0], offerA.offerId)), 'offer_not_open');
    assert.equal((await wl.service.status(b, concertId)).status, 'offered', 'the late accept passed it on');
    const offerB = (await wl.service.status(b, concertId)).offer!;
    await new Promise((r) => setTimeout(r, Date.parse(offerB.expiresAt) - Date.now() + 20));
    await wl.ticker.tick();
    assert.equal(await codeOf(wl.service.status(b, concertId)), 'not_on_waiting_list');
    assert.equal((await booking.inventory.remaining(concertId, seatTypeIds))?.get(seatTypeIds[0]), 1);
    assert.equal((await wl.records.offers.findById(offerB.offerId).lean())?.status, 'expired');
  });

  test('at the concert’s start an open offer expires, exactly (its expiry is the start), and no new offer is made', async () => {
    const c = await concertWith([2], { startsAt: new Date(Date.now() + 2500) });
    const { concertId, seatTypeIds } = ids(c);
    const sold = await sellOut(c);
    const [a, b] = [fan(), fan()];
    await wl.service.join(a, concertId, seatTypeIds[0]);
    await wl.service.join(b, concertId, seatTypeIds[0]);
    await cancel(sold[0]);
    const offerA = (await wl.service.status(a, concertId)).offer!;
    assert.equal(offerA.expiresAt, c.startsAt.toISOString(), 'an offer open at the start expires then');
    await new Promise((r) => setTimeout(r, c.startsAt.getTime() - Date.now() + 20));
    assert.equal(await codeOf(book(a, concertId, seatTypeIds[0], offerA.offerId)), 'concert_started');
    await wl.ticker.tick();
    assert.equal(await codeOf(wl.service.status(b, concertId)), 'not_on_waiting_list', 'lines cleared at the start');
    assert.equal((await booking.inventory.remaining(concertId, seatTypeIds))?.get(seatTypeIds[0]), 1);
  });
});

describe('Redis loses the list', () => {
  test('restarted empty: the list and open offers are rebuilt from the record, none lost, none doubled', async () => {
    const c = await concertWith([3]);
    const { concertId, seatTypeIds } = ids(c);
    const sold = await sellOut(c);
    const fans = [fan(), fan(), fan(), fan()];
    for (const f of fans) await wl.service.join(f, concertId, seatTypeIds[0]);
    await cancel(sold[0]);
    await cancel(sold[1]);
    await wl.announcer.sync(concertId);
    const before = await Promise.all(fans.map((f) => wl.service.status(f, concertId)));
    const keys = [...Object.values(concertKeys(concertId)).filter((k) => typeof k === 'string'), concertKeys(concertId).freeSeats(seatTypeIds[0])];
    const w = waitingListKeys(concertId);
    await booking.redis.del(...keys, w.fans, w.offers, w.stats, w.line('any'), w.line(seatTypeIds[0]), w.due(seatTypeIds[0]));
    await booking.loader.ensureLoaded(concertId);
    const after = await Promise.all(fans.map((f) => wl.service.status(f, concertId)));
    assert.deepEqual(after, before);
    assert.equal((await booking.inventory.remaining(concertId, seatTypeIds))?.get(seatTypeIds[0]), 0, 'offered seats are not free');
    const late = fan();
    assert.equal((await wl.service.join(late, concertId, seatTypeIds[0])).position, 3, 'new joins go after the recorded ones');
    await book(fans[0], concertId, seatTypeIds[0], before[0].offer!.offerId);
  });

  test('keys left by another Redis run (a failover to a lagging replica) are not trusted: the record keeps the offer they lack, and the rebuild brings it back', async () => {
    const c = await concertWith([1]);
    const { concertId, seatTypeIds } = ids(c);
    const [sold] = await sellOut(c);
    const waiter = fan();
    await wl.service.join(waiter, concertId, seatTypeIds[0]);
    await cancel(sold);
    const { offerId } = (await wl.service.status(waiter, concertId)).offer!;
    await wl.announcer.sync(concertId);
    // What a promoted replica that never received the cancel holds: loaded by the old primary's run, without the offer.
    const w = waitingListKeys(concertId);
    await booking.redis.hdel(w.offers, offerId);
    await booking.redis.hset(concertKeys(concertId).meta, 'runId', 'the-old-primary');
    await wl.announcer.sync(concertId);
    assert.equal((await wl.records.offers.findById(offerId).lean())?.status, 'open', 'stale keys close nothing in the record');
    const back = await wl.service.status(waiter, concertId);
    assert.deepEqual([back.status, back.offer?.offerId], ['offered', offerId]);
    await book(waiter, concertId, seatTypeIds[0], offerId);
  });

  test('an offer Redis lost before the record learnt of it is made again by the rebuild itself: no fan from the queue takes its seat first', async () => {
    const c = await concertWith([1]);
    const { concertId, seatTypeIds } = ids(c);
    const [sold] = await sellOut(c);
    const [waiter, other] = [fan(), fan()];
    await wl.service.join(waiter, concertId, seatTypeIds[0]);
    await cancel(sold);
    const lost = (await wl.service.status(waiter, concertId)).offer!.offerId;
    // The record never got the offer (the process that made it stopped first), then Redis lost everything.
    await wl.announcer.sync(concertId);
    await wl.records.offers.deleteMany({ concertId });
    const w = waitingListKeys(concertId);
    const k = concertKeys(concertId);
    await booking.redis.del(
      k.meta,
      k.holders,
      k.freeSeats(seatTypeIds[0]),
      w.fans,
      w.offers,
      w.stats,
      w.line('any'),
      w.line(seatTypeIds[0]),
      w.due(seatTypeIds[0]),
    );
    // The queue fan's booking is what loads the concert again, the first thing to happen after the loss.
    assert.equal(await codeOf(book(other, concertId, seatTypeIds[0])), 'sold_out');
    const again = await wl.service.status(waiter, concertId);
    assert.equal(again.status, 'offered', 'the seat is offered to the head of the list again');
    assert.notEqual(again.offer!.offerId, lost);
    await wl.announcer.sync(concertId);
    assert.equal((await wl.records.offers.findById(again.offer!.offerId).lean())?.status, 'open', 'the new offer reaches the record');
    await book(waiter, concertId, seatTypeIds[0], again.offer!.offerId);
  });
});

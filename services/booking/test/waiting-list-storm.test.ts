/**
 * The waiting list under real concurrency (issue 16), in-process on one redis-server and
 * FerretDB: 120 fans on the list (180 in all), cancels, accepts, declines and expiries at
 * once, queue fans hammering the sold-out seat types meanwhile, the ticker running.
 * Afterwards: never oversold, one ticket per fan, one open offer per seat and per fan,
 * offers in list order, no queue fan took a freed seat while fans waited, and
 * stock = capacity − confirmed − open offers (test/support/invariants.ts). The negative
 * control gives freed seats back the way a check-then-act would (free list first, the
 * list served a moment later) and must see queue fans take seats meant for the list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { AppError } from '../../../lib/errors.js';
import { ReleaseCode } from '../../../lib/inventory/inventory-codes.js';
import { concertKeys } from '../../../lib/inventory/inventory-keys.js';
import { concertModel, type ConcertDoc } from '../../../lib/records/concert.record.js';
import type { AuthenticatedUser } from '../../../lib/request-context.js';
import { checkInvariants } from '../../../test/support/invariants.js';
import { databaseName, startStores, type TestStores } from '../../../test/support/stores.js';
import type { BookingServiceDeps } from '../booking.service.js';
import { createWaitingListComponent, type WaitingListComponent } from '../waiting-list/waiting-list.component.js';
import { fan, logger, startInProcessBooking, type InProcessBooking } from './in-process-booking.js';

let stores: TestStores;
let booking: InProcessBooking;
let wl: WaitingListComponent;

before(async () => {
  stores = await startStores('waiting-list-storm');
  booking = await startInProcessBooking(stores, databaseName('waiting-list-storm'));
  wl = await createWaitingListComponent(
    {
      redis: booking.redis,
      mongo: booking.conn,
      bookings: booking.bookings.model,
      inventory: booking.inventory,
      loader: booking.loader,
      concerts: booking.concerts,
      notifications: booking.notifications,
      emit: () => undefined,
      logger,
    },
    { everyMs: 100, recordEveryMs: 60_000 },
  );
});
after(async () => {
  await wl?.ticker.stop();
  await booking?.stop();
  await stores?.stop();
});

// Sized for CI (seconds): big enough that every outcome (accept, decline, expiry) occurs
// and every line still has fans at the end, so order and "the queue takes none" are tested.
const SEATS_PER_TYPE = 20;
const LIST_FANS = 120;
const CANCELS = 20;
const QUEUE_FANS = 20;

async function soldOutConcert(seatsPerType: number): Promise<ConcertDoc> {
  const doc: ConcertDoc = {
    _id: new Types.ObjectId(),
    name: 'Storm',
    venue: 'Hall',
    startsAt: new Date(Date.now() + 3_600_000),
    seatTypes: [0, 1].map((i) => ({ _id: new Types.ObjectId(), name: `T${i}`, nameKey: `t${i}`, price: 10, capacity: seatsPerType })),
    waitingRoom: { enabled: false },
    waitingList: { offerTtlSeconds: 2 },
    createdAt: new Date(),
  };
  await concertModel(booking.conn).collection.insertOne(doc);
  return doc;
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof AppError ? err.code : `error: ${(err as Error).message}`),
  );

/** Runs the storm; `giveBack` replaces how a cancel gives its seat back (the negative control). */
async function storm(
  giveBack?: (deps: BookingServiceDeps) => BookingServiceDeps['inventory'],
  size = { seatsPerType: SEATS_PER_TYPE, listFans: LIST_FANS, cancels: CANCELS, settleMs: 20_000 },
) {
  const c = await soldOutConcert(size.seatsPerType);
  const concertId = String(c._id);
  const seatTypeIds = c.seatTypes.map((s) => String(s._id));
  const service = booking.service((deps) => ({
    ...deps,
    offers: wl.lists,
    onSeatGivenBack: (id) => wl.announcer.soon(id),
    ...(giveBack ? { inventory: giveBack(deps) } : {}),
  }));
  const book = (user: AuthenticatedUser, seatTypeId: string, offerId?: string) =>
    service.submit(user, { concertId, seatTypeId, ...(offerId ? { offerId } : {}) }, { waitSeconds: 20 });

  const holders = Array.from({ length: size.seatsPerType * 2 }, () => fan());
  const held = await Promise.all(holders.map(async (user, i) => ({ user, answer: await book(user, seatTypeIds[i % 2]) })));
  assert.deepEqual(
    held.filter((h) => h.answer.status !== 201).map((h) => h.answer.body),
    [],
    'sold out first',
  );
  assert.deepEqual([...((await booking.inventory.remaining(concertId, seatTypeIds))?.values() ?? [])], [0, 0]);
  const listFans = Array.from({ length: size.listFans }, () => fan());
  // Everyone joins at once: the join script orders them.
  await Promise.all(listFans.map((user, i) => wl.service.join(user, concertId, i % 3 === 2 ? undefined : seatTypeIds[i % 3])));
  const queueFans = Array.from({ length: QUEUE_FANS }, () => fan());

  const stop = { now: false };
  const queueTook: string[] = [];
  const hammer = Promise.all(
    queueFans.map(async (user, i) => {
      while (!stop.now && !queueTook.includes(user.id)) {
        if ((await outcome(book(user, seatTypeIds[i % 2]))) === 'ok') queueTook.push(user.id);
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  // List fans act on offers as they come: accept, decline, or let it expire.
  const acted = { accepted: 0, declined: 0, ignored: 0, late: 0 };
  const fansAct = Promise.all(
    listFans.map(async (user, i) => {
      while (!stop.now) {
        const place = await wl.service.status(user, concertId).catch(() => null);
        if (!place) return;
        if (place.offer) {
          const choice = i % 10;
          if (choice < 6) {
            const r = await outcome(book(user, place.offer.seatTypeId, place.offer.offerId));
            if (r === 'ok') acted.accepted++;
            else acted.late++;
          } else if (choice < 8) {
            if ((await outcome(wl.service.decline(user, concertId, place.offer.offerId))) === 'ok') acted.declined++;
          } else acted.ignored++;
          return;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }),
  );
  await Promise.all(held.slice(0, size.cancels).map(({ user, answer }) => service.cancel(user, (answer.body as { id: string }).id)));
  // Let every offer be settled: accepted, declined, or expired (1 s) and passed on.
  const until = Date.now() + size.settleMs;
  while (Date.now() < until) {
    await wl.ticker.tick();
    const open = await wl.lists.openOffers(concertId);
    if (open?.length === 0 || Date.now() > until - 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Fans still wait in every line: a seat a queue fan took was one the list should have had.
  const waiting = (await wl.lists.snapshot(concertId, ['any', ...seatTypeIds])).lines;
  const stillWaiting = [...waiting.values()].map((line) => line.length);
  stop.now = true;
  await Promise.all([hammer, fansAct]);
  await wl.ticker.tick();
  await wl.announcer.sync(concertId);
  return { concertId, queueTook, acted, stillWaiting };
}

/** The record's offers of the concert in the order Redis made them (the counter after the "."). */
async function offersInOrder(concertId: string) {
  const offers = await wl.records.offers.find({ concertId }).lean();
  return offers.sort((a, b) => Number(a._id.split('.')[1]) - Number(b._id.split('.')[1]));
}

function invariantsUrl() {
  const url = new URL(stores.mongoServer.url);
  url.pathname = `/${booking.conn.name}`;
  return url.href;
}

describe('the waiting list in a storm', () => {
  test('cancels, accepts, declines and expiries over 180 fans: invariants hold, offers go in list order, the queue takes none', async () => {
    const { concertId, queueTook, acted, stillWaiting } = await storm();
    assert.ok(
      stillWaiting.every((n) => n > 0),
      `every line still had fans: ${JSON.stringify(stillWaiting)}`,
    );
    const report = await checkInvariants(invariantsUrl(), stores.redisUrl, concertId);
    assert.deepEqual(queueTook, [], 'queue fans took seats freed while fans waited');
    assert.ok(acted.accepted > 0 && acted.declined > 0 && acted.ignored > 0, JSON.stringify(acted));

    const offers = await offersInOrder(concertId);
    const entries = new Map((await wl.records.entries.find({ concertId }).lean()).map((e) => [e.userId, e]));
    assert.ok(offers.length >= CANCELS, `${offers.length} offers for ${CANCELS} cancels`);
    const lastSeq = new Map<string, number>();
    for (const offer of offers) {
      const entry = entries.get(offer.userId)!;
      assert.ok(
        (lastSeq.get(entry.choice) ?? 0) < entry.seq,
        `offer ${offer._id} to seq ${entry.seq} after seq ${lastSeq.get(entry.choice)} of line ${entry.choice}`,
      );
      lastSeq.set(entry.choice, entry.seq);
    }
    const perFan = new Set(offers.map((o) => o.userId));
    assert.equal(perFan.size, offers.length, 'a fan offered twice');
    assert.equal(
      offers.filter((o) => o.status === 'open').length,
      Object.values(report.offered).reduce((a, b) => a + b, 0),
      'open offers in the record = in Redis',
    );
    const confirmed = Object.values(report.confirmed).reduce((a, b) => a + b, 0);
    assert.equal(confirmed, SEATS_PER_TYPE * 2 - CANCELS + acted.accepted, 'every accept is a confirmed booking');
    console.log(`waiting-list storm: ${LIST_FANS} fans, ${CANCELS} cancels, ${offers.length} offers, ${JSON.stringify(acted)}, queue fans served 0`);
  });

  test('negative control: freed seats given back free first and offered a moment later are taken by queue fans', async () => {
    const { queueTook } = await storm(
      (deps) => ({
        ...deps.inventory,
        async release(concertId, seatTypeId, userId, requestId) {
          const k = concertKeys(concertId);
          const hold = (await booking.redis.hget(k.holders, userId))?.replace(/^x\|/, '');
          if (!hold?.startsWith(`${requestId}|`)) return ReleaseCode.NotHeld;
          await booking.redis.multi().hdel(k.holders, userId).rpush(k.freeSeats(seatTypeId), hold.split('|')[2]).exec();
          // The list is served by a later step, as the ticker's next pass would (a quarter of its default tick).
          setTimeout(() => void wl.lists.tend(concertId, seatTypeId).catch(() => undefined), 250);
          return ReleaseCode.Released;
        },
      }),
      { seatsPerType: 12, listFans: 30, cancels: 20, settleMs: 1000 },
    );
    assert.ok(queueTook.length > 0, 'without the atomic give-back no queue fan got a freed seat: this test could not fail');
    console.log(`negative control: queue fans took ${queueTook.length} seats meant for the list`);
  });
});

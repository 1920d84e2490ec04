/**
 * Every return code of every inventory Lua script, through the TypeScript
 * wrappers, against one real redis-server for the file (each test with
 * concerts of its own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { newId, startTestRedis } from '../../test/support/stores.js';
import { AbortCancelCode, BeginCancelCode, ReleaseCode, ReserveCode, SettleCode } from './inventory-codes.js';
import { concertKeys } from './inventory-keys.js';
import { createInventory, type Inventory, type InventorySnapshot } from './inventory.js';

let stores: Awaited<ReturnType<typeof startTestRedis>>;
let redis: Redis;
let inventory: Inventory;

before(async () => {
  stores = await startTestRedis('inventory');
  redis = stores.redis();
  inventory = createInventory(redis);
});
after(async () => {
  await inventory?.close();
  await stores?.stop();
});

interface Concert {
  concertId: string;
  seatTypeId: string;
  keys: ReturnType<typeof concertKeys>;
}

/** Loads a concert with one seat type; `held` are confirmed bookings of the record. */
async function loadConcert(
  opts: { capacity?: number; startsAt?: Date; held?: InventorySnapshot['held'] extends (infer H)[] ? Omit<H, 'seatTypeId'>[] : never } = {},
) {
  const concertId = newId();
  const seatTypeId = newId();
  await inventory.load(
    {
      concertId,
      startsAt: opts.startsAt ?? new Date(Date.now() + 3_600_000),
      seatTypes: [{ id: seatTypeId, capacity: opts.capacity ?? 3 }],
      held: (opts.held ?? []).map((h) => ({ ...h, seatTypeId })),
    },
    { onlyIfMissing: false },
  );
  return { concertId, seatTypeId, keys: concertKeys(concertId) } satisfies Concert;
}

const freeSeats = async (c: Concert) => (await redis.lrange(c.keys.freeSeats(c.seatTypeId), 0, -1)).map(Number);
const holdOf = (c: Concert, userId: string) => redis.hget(c.keys.holders, userId);

describe('reserve-seat-3.lua', () => {
  test('Reserved: takes the first free seat and marks the fan its holder, by Redis time', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const before = Date.now();
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(outcome.code, ReserveCode.Reserved);
    assert.equal(outcome.seatNo, 1);
    assert.equal(outcome.seatTypeId, c.seatTypeId);
    assert.ok(Math.abs(outcome.decidedAt.getTime() - before) < 5000);
    assert.equal(outcome.epoch, await redis.hget(c.keys.meta, 'epoch'));
    assert.deepEqual(await freeSeats(c), [2, 3]);
    assert.equal(await holdOf(c, userId), `${requestId}|${c.seatTypeId}|1|${outcome.decidedAt.getTime()}`);
  });

  test('AlreadyReservedHere: a retry of the same request gets the same seat, nothing more is taken', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const first = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    const again = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(again.code, ReserveCode.AlreadyReservedHere);
    assert.equal(again.seatNo, first.seatNo);
    assert.equal(again.decidedAt.getTime(), first.decidedAt.getTime());
    assert.equal(again.seatTypeId, c.seatTypeId);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });

  test('NotLoaded: no keys at all', async () => {
    const outcome = await inventory.reserve(newId(), newId(), newId(), newId());
    assert.equal(outcome.code, ReserveCode.NotLoaded);
  });

  test('NotLoaded: keys loaded by another run of the Redis server are stale, and marked not loaded', async () => {
    const c = await loadConcert();
    await redis.hset(c.keys.meta, 'runId', '0'.repeat(40));
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, newId(), newId());
    assert.equal(outcome.code, ReserveCode.NotLoaded);
    assert.equal(await redis.hget(c.keys.meta, 'loaded'), '0');
    assert.equal(await inventory.isLoaded(c.concertId), false);
    assert.deepEqual(await freeSeats(c), [1, 2, 3], 'nothing taken');
  });

  test('ConcertStarted: the start time has passed by Redis clock', async () => {
    const c = await loadConcert({ startsAt: new Date(Date.now() - 1000) });
    const userId = newId();
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, userId, newId());
    assert.equal(outcome.code, ReserveCode.ConcertStarted);
    assert.equal(await holdOf(c, userId), null);
    assert.deepEqual(await freeSeats(c), [1, 2, 3]);
  });

  test('AlreadyBooked: the fan holds another request, or is cancelling one', async () => {
    const c = await loadConcert();
    const userId = newId();
    const first = newId();
    assert.equal((await inventory.reserve(c.concertId, c.seatTypeId, userId, first)).code, ReserveCode.Reserved);
    assert.equal((await inventory.reserve(c.concertId, c.seatTypeId, userId, newId())).code, ReserveCode.AlreadyBooked);
    assert.equal((await inventory.beginCancel(c.concertId, userId, first)).code, BeginCancelCode.Ok);
    // Even the same request id: a hold being cancelled is not handed back.
    assert.equal((await inventory.reserve(c.concertId, c.seatTypeId, userId, first)).code, ReserveCode.AlreadyBooked);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });

  test('SoldOut: no free seat left', async () => {
    const c = await loadConcert({ capacity: 1 });
    assert.equal((await inventory.reserve(c.concertId, c.seatTypeId, newId(), newId())).code, ReserveCode.Reserved);
    const userId = newId();
    assert.equal((await inventory.reserve(c.concertId, c.seatTypeId, userId, newId())).code, ReserveCode.SoldOut);
    assert.equal(await holdOf(c, userId), null);
  });

  test('UnknownSeatType: a seat type the concert does not have', async () => {
    const c = await loadConcert();
    assert.equal((await inventory.reserve(c.concertId, newId(), newId(), newId())).code, ReserveCode.UnknownSeatType);
  });
});

describe('settle-hold-3.lua', () => {
  test('Unchanged: the reservation was made in the current load', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.settle(c.concertId, userId, requestId, outcome), SettleCode.Unchanged);
  });

  test('Unchanged: another load, but the hold is there', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.settle(c.concertId, userId, requestId, { ...outcome, epoch: '' }), SettleCode.Unchanged);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });

  test('Repaired: a rebuild missed the booking; its hold is put back and its seat taken off the free list', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const outcome = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    // A rebuild from a record that did not have this booking yet.
    await inventory.load(
      { concertId: c.concertId, startsAt: new Date(Date.now() + 3_600_000), seatTypes: [{ id: c.seatTypeId, capacity: 3 }], held: [] },
      { onlyIfMissing: false },
    );
    assert.equal(await holdOf(c, userId), null);
    assert.equal(await inventory.settle(c.concertId, userId, requestId, outcome), SettleCode.Repaired);
    assert.equal(await holdOf(c, userId), `${requestId}|${c.seatTypeId}|1|${outcome.decidedAt.getTime()}`);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });

  test('NotLoaded: no keys', async () => {
    const outcome = { code: ReserveCode.Reserved, seatNo: 1, decidedAt: new Date(), seatTypeId: newId(), epoch: '' };
    assert.equal(await inventory.settle(newId(), newId(), newId(), outcome), SettleCode.NotLoaded);
  });

  test('HeldByAnother: the fan holds another booking now; left alone', async () => {
    const c = await loadConcert();
    const userId = newId();
    const other = newId();
    await inventory.reserve(c.concertId, c.seatTypeId, userId, other);
    const before = await holdOf(c, userId);
    const stale = { code: ReserveCode.Reserved, seatNo: 3, decidedAt: new Date(), seatTypeId: c.seatTypeId, epoch: '' };
    assert.equal(await inventory.settle(c.concertId, userId, newId(), stale), SettleCode.HeldByAnother);
    assert.equal(await holdOf(c, userId), before);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });
});

describe('begin-cancel-3.lua', () => {
  test('Ok: marks the hold as cancelling and takes the lease; InProgress for a second cancel', async () => {
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    const hold = await holdOf(c, userId);
    const begun = await inventory.beginCancel(c.concertId, userId, bookingId);
    assert.equal(begun.code, BeginCancelCode.Ok);
    assert.ok(Math.abs(begun.decidedAt.getTime() - Date.now()) < 5000);
    assert.equal(await holdOf(c, userId), `x|${hold}`);
    assert.ok((await redis.pttl(c.keys.cancelLease(bookingId))) > 0);
    assert.equal((await inventory.beginCancel(c.concertId, userId, bookingId)).code, BeginCancelCode.InProgress);
  });

  test('Ok again once the lease of a cancel that died has lapsed (the hold stays marked once)', async () => {
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    await inventory.beginCancel(c.concertId, userId, bookingId);
    const marked = await holdOf(c, userId);
    await redis.del(c.keys.cancelLease(bookingId));
    assert.equal((await inventory.beginCancel(c.concertId, userId, bookingId)).code, BeginCancelCode.Ok);
    assert.equal(await holdOf(c, userId), marked);
  });

  test('NotLoaded: no keys, or keys of another Redis run', async () => {
    assert.equal((await inventory.beginCancel(newId(), newId(), newId())).code, BeginCancelCode.NotLoaded);
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    await redis.hset(c.keys.meta, 'runId', 'f'.repeat(40));
    assert.equal((await inventory.beginCancel(c.concertId, userId, bookingId)).code, BeginCancelCode.NotLoaded);
  });

  test('ConcertStarted: no cancel from the start on', async () => {
    const [userId, bookingId] = [newId(), newId()];
    const c = await loadConcert({ startsAt: new Date(Date.now() - 1000), held: [{ bookingId, userId, seatNo: 2, createdAt: new Date(Date.now() - 60_000) }] });
    assert.equal((await inventory.beginCancel(c.concertId, userId, bookingId)).code, BeginCancelCode.ConcertStarted);
    assert.ok(!(await holdOf(c, userId))?.startsWith('x|'));
  });

  test('NotHeld: the fan holds nothing, or another booking', async () => {
    const c = await loadConcert();
    const userId = newId();
    assert.equal((await inventory.beginCancel(c.concertId, userId, newId())).code, BeginCancelCode.NotHeld);
    await inventory.reserve(c.concertId, c.seatTypeId, userId, newId());
    assert.equal((await inventory.beginCancel(c.concertId, userId, newId())).code, BeginCancelCode.NotHeld);
  });
});

describe('release-seat-9.lua', () => {
  test('Released: the hold is dropped and the seat goes back on the free list', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, requestId), ReleaseCode.Released);
    assert.equal(await holdOf(c, userId), null);
    assert.deepEqual(await freeSeats(c), [2, 3, 1]);
  });

  test('Released without returning the seat (the record says someone else holds it)', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, requestId, { returnSeat: false }), ReleaseCode.Released);
    assert.equal(await holdOf(c, userId), null);
    assert.deepEqual(await freeSeats(c), [2, 3]);
  });

  test('Released: a hold being cancelled', async () => {
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    await inventory.beginCancel(c.concertId, userId, bookingId);
    assert.equal(await redis.exists(c.keys.cancelLease(bookingId)), 1, 'the cancel holds its lease');
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, bookingId), ReleaseCode.Released);
    assert.deepEqual(await freeSeats(c), [2, 3, 1]);
    // A finished cancel drops its lease at once instead of leaving it to lapse 15 s later.
    assert.equal(await redis.exists(c.keys.cancelLease(bookingId)), 0, 'the lease of the finished cancel is gone');
  });

  test('NotLoaded: no keys', async () => {
    assert.equal(await inventory.release(newId(), newId(), newId(), newId()), ReleaseCode.NotLoaded);
  });

  test('NotHeld: nothing held, or the hold of another request (a late or repeated call is harmless)', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, requestId), ReleaseCode.NotHeld);
    await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, newId()), ReleaseCode.NotHeld);
    await inventory.release(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(await inventory.release(c.concertId, c.seatTypeId, userId, requestId), ReleaseCode.NotHeld);
    assert.deepEqual(await freeSeats(c), [2, 3, 1], 'the seat went back once');
  });
});

describe('abort-cancel-3.lua', () => {
  test('Restored: the hold is back to normal and the lease dropped, so the fan can retry at once', async () => {
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    const hold = await holdOf(c, userId);
    await inventory.beginCancel(c.concertId, userId, bookingId);
    assert.equal(await inventory.abortCancel(c.concertId, userId, bookingId), AbortCancelCode.Restored);
    assert.equal(await holdOf(c, userId), hold);
    assert.equal(await redis.exists(c.keys.cancelLease(bookingId)), 0);
    assert.equal((await inventory.beginCancel(c.concertId, userId, bookingId)).code, BeginCancelCode.Ok);
  });

  test('NotHeld: not loaded, no hold, another booking, or a hold not being cancelled', async () => {
    assert.equal(await inventory.abortCancel(newId(), newId(), newId()), AbortCancelCode.NotHeld);
    const c = await loadConcert();
    const [userId, bookingId] = [newId(), newId()];
    assert.equal(await inventory.abortCancel(c.concertId, userId, bookingId), AbortCancelCode.NotHeld);
    await inventory.reserve(c.concertId, c.seatTypeId, userId, bookingId);
    assert.equal(await inventory.abortCancel(c.concertId, userId, bookingId), AbortCancelCode.NotHeld);
    await inventory.beginCancel(c.concertId, userId, bookingId);
    assert.equal(await inventory.abortCancel(c.concertId, userId, newId()), AbortCancelCode.NotHeld);
  });
});

describe('peek-bookable-3.lua and server-run-id-1.lua', () => {
  test('not loaded: nothing but the time', async () => {
    const peek = await inventory.peek(newId(), newId(), newId());
    assert.deepEqual({ ...peek, now: undefined }, { loaded: false, started: false, holds: false, remaining: 0, now: undefined });
    assert.ok(Math.abs(peek.now.getTime() - Date.now()) < 5000);
  });

  test('loaded: whether the fan holds a seat and what remains, and the start by Redis clock', async () => {
    const c = await loadConcert();
    const userId = newId();
    assert.deepEqual(
      { ...(await inventory.peek(c.concertId, c.seatTypeId, userId)), now: 0 },
      { loaded: true, started: false, holds: false, remaining: 3, now: 0 },
    );
    await inventory.reserve(c.concertId, c.seatTypeId, userId, newId());
    assert.deepEqual(
      { ...(await inventory.peek(c.concertId, c.seatTypeId, userId)), now: 0 },
      { loaded: true, started: false, holds: true, remaining: 2, now: 0 },
    );

    const started = await loadConcert({ startsAt: new Date(Date.now() - 1) });
    assert.equal((await inventory.peek(started.concertId, started.seatTypeId, userId)).started, true);
  });

  test('a load records the run id of the Redis server it wrote to', async () => {
    const c = await loadConcert();
    const runId = /run_id:(\w+)/.exec(await redis.info('server'))?.[1];
    assert.match(runId ?? '', /^[0-9a-f]{40}$/);
    assert.equal(await redis.hget(c.keys.meta, 'runId'), runId);
  });
});

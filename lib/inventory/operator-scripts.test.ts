/**
 * Every return code of the operator's inventory scripts (close-seat-type-1, close-sales-1,
 * move-start-2; adding seats is add-seats-9 of the waiting list) and the cut-offs they leave for reserve-seat-3 and
 * peek-bookable-3, against one real redis-server for the file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { newId, startTestRedis } from '../../test/support/stores.js';
import { OperatorCode, ReserveCode } from './inventory-codes.js';
import { concertKeys } from './inventory-keys.js';
import { createInventory, type Inventory, type InventorySnapshot } from './inventory.js';

let stores: Awaited<ReturnType<typeof startTestRedis>>;
let redis: Redis;
let inventory: Inventory;

before(async () => {
  stores = await startTestRedis('operator-scripts');
  redis = stores.redis();
  inventory = createInventory(redis);
});
after(async () => {
  await inventory?.close();
  await stores?.stop();
});

async function loadConcert(extra: Partial<InventorySnapshot> & { capacity?: number; closed?: boolean } = {}) {
  const concertId = newId();
  const seatTypeId = newId();
  const { capacity = 3, closed, ...rest } = extra;
  await inventory.load(
    { concertId, startsAt: new Date(Date.now() + 3_600_000), seatTypes: [{ id: seatTypeId, capacity, ...(closed ? { closed } : {}) }], held: [], ...rest },
    { onlyIfMissing: false },
  );
  return { concertId, seatTypeId, keys: concertKeys(concertId) };
}
type Loaded = Awaited<ReturnType<typeof loadConcert>>;
const freeSeats = async (c: Loaded) => (await redis.lrange(c.keys.freeSeats(c.seatTypeId), 0, -1)).map(Number);
const reserve = (c: Loaded) => inventory.reserve(c.concertId, c.seatTypeId, newId(), newId());

describe('close-seat-type-1.lua and close-sales-1.lua, and the cut-offs in reserve-seat-3 and peek-bookable-3', () => {
  test('a closed seat type is refused SeatTypeClosed, its free seats left alone', async () => {
    const c = await loadConcert();
    assert.equal(await inventory.closeSeatType(c.concertId, c.seatTypeId), OperatorCode.Done);
    assert.equal(await inventory.closeSeatType(c.concertId, c.seatTypeId), OperatorCode.Done);
    assert.equal((await reserve(c)).code, ReserveCode.SeatTypeClosed);
    assert.equal((await inventory.peek(c.concertId, c.seatTypeId, newId())).cutOff, ReserveCode.SeatTypeClosed);
    assert.deepEqual(await freeSeats(c), [1, 2, 3]);
    assert.equal(await inventory.closeSeatType(c.concertId, newId()), OperatorCode.UnknownSeatType);
    assert.equal(await inventory.closeSeatType(newId(), newId()), OperatorCode.NotLoaded);
  });

  test('closing sales cuts at Redis time; a second close answers the first cut-off', async () => {
    const c = await loadConcert();
    assert.equal((await reserve(c)).code, ReserveCode.Reserved);
    assert.equal((await inventory.peek(c.concertId, c.seatTypeId, newId())).cutOff, undefined);
    const first = await inventory.closeSales(c.concertId);
    assert.equal(first.code, OperatorCode.Done);
    assert.ok(Math.abs(first.closedAt.getTime() - Date.now()) < 5000);
    const again = await inventory.closeSales(c.concertId);
    assert.equal(again.closedAt.getTime(), first.closedAt.getTime());
    assert.equal((await reserve(c)).code, ReserveCode.SalesClosed);
    assert.equal((await inventory.peek(c.concertId, c.seatTypeId, newId())).cutOff, ReserveCode.SalesClosed);
    assert.equal((await inventory.closeSales(newId())).code, OperatorCode.NotLoaded);
  });

  test('a retried reservation made before the cut-off keeps its seat (AlreadyReservedHere)', async () => {
    const c = await loadConcert();
    const [userId, requestId] = [newId(), newId()];
    const first = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    await inventory.closeSales(c.concertId);
    const retry = await inventory.reserve(c.concertId, c.seatTypeId, userId, requestId);
    assert.equal(retry.code, ReserveCode.AlreadyReservedHere);
    assert.equal(retry.seatNo, first.seatNo);
  });

  test('a load from the record carries both cut-offs', async () => {
    const closedSeatType = await loadConcert({ closed: true });
    assert.equal((await reserve(closedSeatType)).code, ReserveCode.SeatTypeClosed);
    const closedSales = await loadConcert({ salesClosedAt: new Date(Date.now() - 1) });
    assert.equal((await reserve(closedSales)).code, ReserveCode.SalesClosed);
  });
});

describe('move-start-2.lua', () => {
  test('moves the start while no fan holds a seat; HasSales once one does', async () => {
    const c = await loadConcert();
    const later = new Date(Date.now() + 7_200_000);
    assert.equal(await inventory.moveStart(c.concertId, later), OperatorCode.Done);
    assert.equal(await redis.hget(c.keys.meta, 'startsAtMs'), String(later.getTime()));
    await reserve(c);
    assert.equal(await inventory.moveStart(c.concertId, new Date(Date.now() + 3_600_000)), OperatorCode.HasSales);
    assert.equal(await redis.hget(c.keys.meta, 'startsAtMs'), String(later.getTime()));
  });

  test('ConcertStarted once the current start has passed; NotLoaded without keys', async () => {
    const c = await loadConcert({ startsAt: new Date(Date.now() - 1) });
    assert.equal(await inventory.moveStart(c.concertId, new Date(Date.now() + 3_600_000)), OperatorCode.ConcertStarted);
    assert.equal(await inventory.moveStart(newId(), new Date()), OperatorCode.NotLoaded);
  });
});

/** The audit log against a real FerretDB: what is written is read back, per concert, newest first. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseName, newId, startStores, type TestStores } from '../test/support/stores.js';
import { createAuditLog } from './audit-log.js';

let stores: TestStores;
before(async () => {
  stores = await startStores('audit-log');
});
after(async () => stores?.stop());

const actor = { userId: newId(), email: 'admin@onsale.local' };

describe('the audit log', () => {
  test('an entry is read back as written: who, what, the details and when', async () => {
    const audit = createAuditLog(await stores.database(databaseName('audit-one')));
    await audit.ensureIndexes();
    const concertId = newId();
    const before = Date.now();
    const written = await audit.record(concertId, actor, 'seat-type.capacity.add', { seatTypeId: 'abc', add: 5, capacity: 55, nested: { a: [1, 2] } });
    const [read] = await audit.list(concertId);
    assert.deepEqual(read, written);
    assert.deepEqual(read.actor, actor);
    assert.deepEqual(read.details, { seatTypeId: 'abc', add: 5, capacity: 55, nested: { a: [1, 2] } });
    assert.equal(read.concertId, concertId);
    assert.ok(Date.parse(read.at) >= before - 1000 && Date.parse(read.at) <= Date.now() + 1000);
    assert.match(read.id, /^[0-9a-f]{24}$/);
  });

  test("a concert's entries only, newest first (the id orders those of one millisecond), at most `limit`", async () => {
    const audit = createAuditLog(await stores.database(databaseName('audit-order')));
    const [concertId, otherConcertId] = [newId(), newId()];
    const actions = ['concert.update', 'seat-type.close', 'sales.close', 'line.pause', 'line.resume'];
    for (const action of actions) await audit.record(concertId, actor, action);
    await Promise.all([audit.record(otherConcertId, actor, 'concert.update'), audit.record(otherConcertId, actor, 'sales.close')]);
    assert.deepEqual(
      (await audit.list(concertId)).map((e) => e.action),
      [...actions].reverse(),
    );
    assert.deepEqual(
      (await audit.list(concertId, 2)).map((e) => e.action),
      ['line.resume', 'line.pause'],
    );
    assert.equal((await audit.list(otherConcertId)).length, 2);
    assert.deepEqual(await audit.list(newId()), []);
  });

  test('details default to an empty object and an empty object survives (minimize off)', async () => {
    const audit = createAuditLog(await stores.database(databaseName('audit-empty')));
    const concertId = newId();
    await audit.record(concertId, actor, 'line.drain');
    await audit.record(concertId, actor, 'line.settings', {});
    assert.deepEqual(
      (await audit.list(concertId)).map((e) => e.details),
      [{}, {}],
    );
  });
});

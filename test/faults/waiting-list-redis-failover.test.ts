/**
 * Issue 16, "survives faults", the failover half: fans wait on a sold-out concert's
 * list and one holds an open offer; the replica is partitioned from the primary, and
 * on the primary alone a cancel makes a second offer and a fan leaves the list. The
 * primary is SIGKILLed and Sentinel promotes the replica, which lacks both. Its keys
 * were loaded by another Redis run, so they are rebuilt from the record: the same
 * places, the same offers (ids, seats, expiries), none lost and none doubled; the
 * invariant checker holds; accepting, declining and a queue fan's refusal still work.
 * Lean on purpose: one platform, a four-seat concert, six fans on the list.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitingListKeys } from '../../lib/waiting-list/waiting-list-keys.js';
import { adminToken, createConcert, mintFans } from '../support/fans.js';
import { checkInvariants } from '../support/invariants.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { killPrimaryAndAwaitPromotion, node, partitionReplica, startSentinelServers, type SentinelServers } from './support/failover.js';
import { waitingListFans } from './support/waiting-list-fans.js';

let sentinelSet: SentinelServers;
let platform: TestPlatform;
let admin: string;

before(async () => {
  sentinelSet = await startSentinelServers('faults-waiting-list-failover');
  platform = await startTestPlatform('faults-waiting-list-failover', { redisUrl: sentinelSet.servers.url });
  admin = await adminToken(platform);
});
after(async () => {
  await platform?.stop();
  await sentinelSet?.stop();
});

test('Redis failed over to a replica that lacks an offer and a leave: the list and its offers are rebuilt from the record, and still work', async () => {
  const { servers } = sentinelSet;
  const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 4 }], waitingList: { offerTtlSeconds: 900 } });
  const seatTypeId = concert.seatTypes[0].id;
  const [h1, h2, h3, h4, ...listFans] = mintFans(platform, 10);
  const { book, join, placeOf, cancel, decline, leave, openOffersRecorded } = waitingListFans(platform, concert.id, seatTypeId);
  const held = [];
  for (const h of [h1, h2, h3, h4]) {
    const res = await book(h);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    held.push({ fan: h, bookingId: res.body.id });
  }
  for (const [i, f] of listFans.entries()) assert.equal((await join(f, i % 2 ? 'any' : 'seat type')).status, 200);
  assert.equal((await cancel(held[0].fan, held[0].bookingId)).status, 200);
  await openOffersRecorded(1);

  // From here on the replica sees nothing: a second offer and a leave exist on the primary and in the record only.
  const primary = node(servers.primary.url);
  const replica = node(servers.replica.url);
  let before;
  try {
    await partitionReplica(primary, replica);
    assert.equal((await cancel(held[1].fan, held[1].bookingId)).status, 200);
    assert.equal((await leave(listFans[3])).status, 204);
    await openOffersRecorded(2);
    before = await Promise.all(listFans.map(placeOf));
    assert.deepEqual(
      before.map((p) => [p.status, p.position]),
      [
        ['offered', 0],
        ['offered', 0],
        ['waiting', 1],
        ['http 404', -1],
        ['waiting', 2],
        ['waiting', 3],
      ],
    );
    const onReplica = await replica.hlen(waitingListKeys(concert.id).offers);
    assert.equal(onReplica, 1, 'the replica lacks the second offer');
  } finally {
    primary.disconnect();
    replica.disconnect();
  }
  const invariantsBefore = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  await killPrimaryAndAwaitPromotion(servers);

  // Within a tick or two of the promotion (the ticker, or any fan's request, finds the keys stale).
  let places = await Promise.all(listFans.map(placeOf));
  for (const end = Date.now() + 20_000; JSON.stringify(places) !== JSON.stringify(before) && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 200));
    places = await Promise.all(listFans.map(placeOf));
  }
  assert.deepEqual(places, before, 'same places, same order, same offers (ids, seats, expiries)');
  const invariantsAfter = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  assert.deepEqual(invariantsAfter.offered, { Floor: 2 }, 'both open offers hold their seat, on the promoted replica too');
  assert.deepEqual(invariantsAfter, invariantsBefore);
  const queueFan = await book(mintFans(platform, 1)[0]);
  assert.equal(queueFan.body.reason ?? queueFan.body.error?.code, 'sold_out', `an offered seat is not free stock: ${JSON.stringify(queueFan.body)}`);

  const accepted = await book(listFans[1], before[1].offer!.offerId);
  assert.equal(accepted.status, 201, 'the offer made only on the lost primary is accepted: ' + JSON.stringify(accepted.body));
  assert.equal((await decline(listFans[0], before[0].offer!.offerId)).status, 204);
  assert.equal((await placeOf(listFans[2])).status, 'offered', 'the declined seat goes to the next fan; the one who left is not offered it');
  const invariantsEnd = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  assert.deepEqual([invariantsEnd.offered, invariantsEnd.confirmed], [{ Floor: 1 }, { Floor: 3 }]);
});

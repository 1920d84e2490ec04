import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { io as connect } from 'socket.io-client';
import type { Decision } from '../../lib/booking-requests.js';
import { createInventory } from '../../lib/inventory/inventory.js';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import { openRedis } from '../../lib/redis.js';
import { ROOT } from '../../scripts/stack/processes.js';
import type { QueuedBooking } from '../support/api-types.js';
import { assertError } from '../support/assertions.js';
import { finalAnswerOf, tally } from '../support/bookings.js';
import { adminToken, createConcert, mintFans } from '../support/fans.js';
import { checkInvariants } from '../support/invariants.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { Types } from 'mongoose';
import { admitted, join } from '../../waiting-room/test/line-support.js';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster.js';

// Run by `npm run test:cluster`: the whole platform on a real 3-master Redis Cluster.
let cluster: RedisClusterHandle;
let platform: TestPlatform;
let redis: Redis;
let admin: string;
let clusterDataDir: string;
const book = (token: string, concertId: string, seatTypeId: string) =>
  platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, token, { prefer: 'wait=30' });

before(async () => {
  clusterDataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-redis-cluster-'));
  const serverLogs = path.join(ROOT, 'test-output', 'redis-cluster-servers');
  rmSync(serverLogs, { recursive: true, force: true });
  mkdirSync(serverLogs, { recursive: true });
  cluster = await startRedisCluster(clusterDataDir, (name) => ({ kind: 'file', path: path.join(serverLogs, `${name}.log`) }));
  platform = await startTestPlatform('redis-cluster', { redisUrl: cluster.url });
  redis = openRedis(cluster.url);
  admin = await adminToken(platform);
});

after(async () => {
  redis?.disconnect();
  await platform?.stop();
  await cluster?.stop();
  if (clusterDataDir) rmSync(clusterDataDir, { recursive: true, force: true });
});

describe('the platform on a 3-master Redis Cluster', () => {
  test('when 300 fans race for 100 seats, exactly 100 are confirmed and the invariants hold', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [
        { name: 'Floor', capacity: 60 },
        { name: 'Balcony', capacity: 40 },
      ],
    });
    const fans = mintFans(platform, 300);
    const answers = (await Promise.all(fans.map((f, i) => book(f.token, concert.id, concert.seatTypes[i % 2].id)))).map(finalAnswerOf);
    assert.deepEqual(tally(answers), { confirmed: 100, 'rejected:sold_out': 200 });
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Floor: 60, Balcony: 40 });
    assert.deepEqual(report.remaining, { Floor: 0, Balcony: 0 });
  });

  test('a fan on Socket.IO gets booking:result; a cancel frees the seat; lost keys are rebuilt from MongoDB', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Pit', capacity: 20 }] });
    const seatTypeId = concert.seatTypes[0].id;
    const [watcher, ...others] = mintFans(platform, 41);
    const socket = connect(platform.gatewayUrl, { path: '/socket.io', auth: { token: watcher.token }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const pushed = new Promise<Decision>((resolve) => socket.once('booking:result', resolve));
      const queued = await platform.api.post<QueuedBooking>('/api/v1/bookings', { concertId: concert.id, seatTypeId }, watcher.token);
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const result = await pushed;
      assert.equal(result.requestId, queued.body.requestId);
      assert.equal(result.status, 'confirmed');

      const cancelled = await platform.api.delete(`/api/v1/bookings/${result.booking!.id}`, watcher.token);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    } finally {
      socket.close();
    }

    // All of a concert's keys share one slot, so one DEL removes them on a cluster too
    // (meta and the free seats; nobody holds a seat after the cancel).
    const keys = concertKeys(concert.id);
    assert.equal(await redis.del(keys.meta, keys.holders, keys.freeSeats(seatTypeId)), 2);
    const answers = (await Promise.all(others.map((f) => book(f.token, concert.id, seatTypeId)))).map(finalAnswerOf);
    assert.deepEqual(tally(answers), { confirmed: 20, 'rejected:sold_out': 20 });
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.equal(report.cancelled, 1);
    assert.deepEqual(report.remaining, { Pit: 0 });
  });

  test('through the waiting room: fans join, are admitted at the set rate and book with their admission tokens', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Lawn', capacity: 40 }], waitingRoom: { enabled: true, admitPerSecond: 40 } });
    const seatTypeId = concert.seatTypes[0].id;
    const fans = mintFans(platform, 40);
    assertError(await book(fans[0].token, concert.id, seatTypeId), 403, 'admission_required');
    const joined = await Promise.all(fans.map((f) => join(platform, f, concert.id)));
    assert.deepEqual(
      joined.map((r) => r.status).filter((s) => s !== 200),
      [],
    );
    assert.deepEqual(
      joined.map((r) => r.body.position as number).sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const answers = await Promise.all(
      fans.map(async (fan) => {
        const { admissionToken } = await admitted(platform, fan, concert.id);
        const res = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, fan.token, {
          prefer: 'wait=30',
          'x-admission-token': admissionToken,
        });
        return finalAnswerOf(res);
      }),
    );
    assert.deepEqual(tally(answers), { confirmed: 40 });
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });

  test('a load that finds the concert already loaded leaves no WATCH behind on the node that holds it', async () => {
    // UNWATCH has no key: sent to a random node it would leave the WATCH standing and
    // abort the next load on that connection. Several concerts cover every node.
    const client = openRedis(cluster.url);
    const inventory = createInventory(client);
    try {
      for (let i = 0; i < 9; i++) {
        const concertId = new Types.ObjectId().toHexString();
        const snapshot = { concertId, startsAt: new Date(Date.now() + 3600_000), seatTypes: [{ id: 'st', capacity: 3 }], held: [] };
        assert.equal(await inventory.load(snapshot, { onlyIfMissing: true }), true);
        assert.equal(await inventory.load(snapshot, { onlyIfMissing: true }), false, 'already loaded');
        await redis.hset(concertKeys(concertId).meta, 'touched', '1');
        assert.equal(await inventory.load(snapshot, { onlyIfMissing: false }), true, `the reload of concert ${i} was not aborted by a stale WATCH`);
      }
    } finally {
      await inventory.close();
      client.disconnect();
    }
  });

  test('the keys really are spread over every master, and no process met a cross-slot error or logged an error', async () => {
    const masters = (redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
    assert.equal(masters.length, 3);
    const sizes = await Promise.all(masters.map((m) => m.dbsize()));
    assert.ok(
      sizes.every((n) => n > 0),
      `every master holds keys: ${sizes.join(', ')}`,
    );

    const problems: string[] = [];
    for (const file of readdirSync(platform.outputDir)) {
      const log = readFileSync(path.join(platform.outputDir, file), 'utf8');
      for (const line of log.split('\n')) {
        if (/CROSSSLOT|should belong to the same slot|non local key|MOVED|ASK |"level":[56]0/.test(line)) problems.push(`${file}: ${line.slice(0, 300)}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Socket } from 'socket.io-client';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans } from '../../test/support/fans.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { admitted, eventually, join, status, watchLine } from './line-support.js';

const ABANDON_AFTER_MS = 11_000;
let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;
const sockets: Socket[] = [];

before(async () => {
  platform = await startTestPlatform('waiting-room-page', { serviceEnv: { 'waiting-room': { DEFAULT_GRACE_SECONDS: String(ABANDON_AFTER_MS / 1000) } } });
  admin = await adminToken(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  for (const s of sockets) s.disconnect();
  redis?.disconnect();
  await platform?.stop();
});

describe('the fan-facing waiting-room page (in Chromium: fan-page.test.ts)', () => {
  test('the page and its scripts are served through the gateway; unknown concerts are 404', async () => {
    const page = await fetch(`${platform.gatewayUrl}/waiting-room/${'a'.repeat(24)}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const client = await fetch(`${platform.gatewayUrl}/waiting-room/assets/socket.io.min.js`);
    assert.equal(client.status, 200);
    assert.match(await client.text(), /socket\.io/i);
    const mine = await fetch(`${platform.gatewayUrl}/waiting-room/my-bookings`);
    assert.equal(mine.status, 200, 'my bookings is a page of its own, not taken for a concert id');
    assert.match(await mine.text(), /<h1>My bookings<\/h1>/);
    assertError(await platform.api.get('/waiting-room/not-a-concert'), 404);
  });
});

// Both wait for time to pass on the server: run them side by side.
describe('places and slots that are given up', { concurrency: true }, () => {
  test('an admitted fan who lets the token expire frees the slot for the next fan, loses the place, and the token stops working', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1, tokenTtlSeconds: 30 },
    });
    const [idle, next] = mintFans(platform, 2);
    await join(platform, idle, concert.id);
    const idleAdmission = await admitted(platform, idle, concert.id);
    const socket = await watchLine(platform, next, concert.id);
    sockets.push(socket);
    await join(platform, next, concert.id);
    assert.equal((await status(platform, next, concert.id)).body.status, 'waiting', 'the only slot is taken');

    const nextAdmission = await admitted(platform, next, concert.id, 60_000);
    assert.ok(Date.now() >= Date.parse(idleAdmission.expiresAt) - 1000, 'let in only once the first admission expired');
    assertError(await status(platform, idle, concert.id), 404, 'not_in_line');
    const seatTypeId = concert.seatTypes[0].id;
    const late = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, idle.token, {
      prefer: 'wait=20',
      'x-admission-token': idleAdmission.admissionToken,
    });
    assertError(late, 403, 'admission_required');
    const booked = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId }, next.token, {
      prefer: 'wait=20',
      'x-admission-token': nextAdmission.admissionToken,
    });
    assert.equal(booked.status, 201);
  });

  test('a fan with no socket and no status poll loses the place, fans with either keep it, and the line moves past the gap', async () => {
    const concert = await createConcert(platform, admin, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 1 },
    });
    const [holder, gone, live, poller] = mintFans(platform, 4);
    await join(platform, holder, concert.id);
    const holding = await admitted(platform, holder, concert.id);
    const socket = await watchLine(platform, live, concert.id);
    sockets.push(socket);
    for (const fan of [gone, live, poller]) await join(platform, fan, concert.id);

    let polling = true;
    const polls = (async () => {
      while (polling) {
        assert.equal((await status(platform, poller, concert.id)).status, 200, 'the polling fan keeps the place');
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    try {
      const positions = waitingRoomKeys(concert.id).positions;
      await eventually('the silent fan dropped', async () => !(await redis.hexists(positions, gone.id)), ABANDON_AFTER_MS * 4, 250);
      assertError(await status(platform, gone, concert.id), 404, 'not_in_line');
      assert.equal((await status(platform, live, concert.id)).body.status, 'waiting', 'the fan with a socket keeps the place');

      const booked = await platform.api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, holder.token, {
        prefer: 'wait=20',
        'x-admission-token': holding.admissionToken,
      });
      assert.equal(booked.status, 201);
      const next = await admitted(platform, live, concert.id, 10_000);
      assert.equal(next.position, 3, 'the next fan in after the gap');
      const rejoined = await join(platform, gone, concert.id);
      assert.equal(rejoined.body.position, 5, 'a dropped fan who comes back joins at the back');
    } finally {
      polling = false;
      await polls;
    }
  });
});

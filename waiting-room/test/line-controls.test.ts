import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openRedis } from '../../lib/redis.js';
import { waitingRoomKeys } from '../../lib/waiting-room-keys.js';
import { assertError } from '../../test/support/assertions.js';
import { adminToken, createConcert, mintFans, type Fan } from '../../test/support/fans.js';
import { startTestPlatform, type TestPlatform } from '../../test/support/test-platform.js';
import { admitted, eventually, join, status } from './line-support.js';

// The operator's controls change what the line does (not only what the endpoints answer).
const TICK_MS = 100;
let platform: TestPlatform;
let admin: string;
let redis: ReturnType<typeof openRedis>;

interface Stats {
  waiting: number;
  admitted: number;
  paused: boolean;
  draining: boolean;
}

const control = (concertId: string, action: 'pause' | 'resume' | 'drain') => platform.api.post(`/api/v1/waiting-room/${concertId}/${action}`, undefined, admin);
const settings = (concertId: string, patch: Record<string, number>) =>
  platform.api.request('PATCH', `/api/v1/waiting-room/${concertId}/settings`, { body: patch, token: admin });
async function stats(concertId: string): Promise<Stats> {
  const res = await platform.api.get<Stats>(`/api/v1/waiting-room/${concertId}/stats`, admin);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}
/** The concert's audit log, newest first. */
async function audit(concertId: string) {
  const res = await platform.api.get<{ items: Array<{ action: string; actor: { email: string } }> }>(`/api/v1/concerts/${concertId}/audit`, admin);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.items;
}
const ok = async (res: Promise<{ status: number; body: unknown }>) => {
  const answer = await res;
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
};
const line = (admitPerSecond: number, extra: Record<string, number> = {}) =>
  createConcert(platform, admin, {
    seatTypes: [{ name: 'Floor', capacity: 200 }],
    waitingRoom: { enabled: true, admitPerSecond, claimWindowSeconds: 120, ...extra },
  });

async function joinAll(fans: Fan[], concertId: string) {
  for (const fan of fans) assert.equal((await join(platform, fan, concertId)).status, 200);
}

/** Watches the line for `ms` (many ticks) and fails if any of these fans is admitted. */
async function staysWaiting(fans: Fan[], concertId: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    for (const fan of fans) {
      const res = await status(platform, fan, concertId);
      assert.equal(res.status === 200 && res.body.status, 'waiting', `fan ${fan.id} should wait: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.equal((await stats(concertId)).admitted, 0);
  }
}

before(async () => {
  platform = await startTestPlatform('waiting-room-controls', { serviceEnv: { 'waiting-room': { WAITING_ROOM_TICK_MS: String(TICK_MS) } } });
  admin = await adminToken(platform);
  redis = openRedis(platform.redisUrl);
});
after(async () => {
  redis?.disconnect();
  await platform?.stop();
});

describe('operator controls of a live line', () => {
  test('pause holds admissions for many ticks while joins go on; resume lets the line in; both in the audit log', async () => {
    const concert = await line(50);
    await ok(control(concert.id, 'pause'));
    const fans = mintFans(platform, 3);
    await joinAll(fans, concert.id);
    await staysWaiting(fans, concert.id, 15 * TICK_MS);
    assert.equal((await stats(concert.id)).paused, true);
    await ok(control(concert.id, 'resume'));
    for (const fan of fans) await admitted(platform, fan, concert.id, 10_000);

    assert.deepEqual(
      (await audit(concert.id)).map((i) => [i.action, i.actor.email]),
      [
        ['line.resume', platform.admin.email],
        ['line.pause', platform.admin.email],
      ],
    );
  });

  test('drain: a new fan is refused line_draining while the fans in line keep being admitted', async () => {
    const concert = await line(4);
    const fans = mintFans(platform, 6);
    await ok(control(concert.id, 'pause'));
    await joinAll(fans, concert.id);
    await ok(control(concert.id, 'drain'));
    await ok(control(concert.id, 'resume'));
    await ok(control(concert.id, 'drain'));
    const [late] = mintFans(platform, 1);
    assertError(await join(platform, late, concert.id), 409, 'line_draining');
    for (const fan of fans) await admitted(platform, fan, concert.id, 15_000);
    assert.equal((await stats(concert.id)).draining, true);
    assertError(await join(platform, late, concert.id), 409, 'line_draining');
    const entries = await audit(concert.id);
    assert.deepEqual(
      entries.map((i) => i.action),
      ['line.drain', 'line.resume', 'line.drain', 'line.pause'],
    );
    assert.ok(entries.every((i) => i.actor.email === platform.admin.email));
  });

  test('a live admitPerSecond change takes effect within about a tick (1/s, 20/s, 1/s, 20/s)', async () => {
    const concert = await line(1);
    await Promise.all(mintFans(platform, 60).map((fan) => join(platform, fan, concert.id)));
    await eventually('the first admission', async () => (await stats(concert.id)).admitted >= 1, 10_000);
    /** Admissions over 2 s at 1/s: 2, maybe 3 at the edges (the credit bucket holds at most one). */
    async function slowFor2s() {
      const start = (await stats(concert.id)).admitted;
      const startedAt = Date.now();
      await new Promise((r) => setTimeout(r, 2_000));
      const count = (await stats(concert.id)).admitted - start;
      const ms = Date.now() - startedAt;
      assert.ok(count <= Math.ceil(ms / 1000) + 1, `${count} admitted in ${ms} ms at 1/s`);
    }
    /** 5 more at 1/s take 4 s or more; at 20/s a quarter of a second. The concert cache (5 s) must not be what applies it. */
    async function fastWithinASecond() {
      const base = (await stats(concert.id)).admitted;
      await eventually('5 more admissions', async () => (await stats(concert.id)).admitted >= base + 5, 1_000, 25);
    }
    await slowFor2s();
    await ok(settings(concert.id, { admitPerSecond: 20 }));
    await fastWithinASecond();
    await ok(settings(concert.id, { admitPerSecond: 1 }));
    await new Promise((r) => setTimeout(r, 3 * TICK_MS));
    await slowFor2s();
    await ok(settings(concert.id, { admitPerSecond: 20 }));
    await fastWithinASecond();
  });

  test('maxActive lowered live caps the admitted fans who have not booked', async () => {
    const concert = await line(50);
    await ok(control(concert.id, 'pause'));
    await joinAll(mintFans(platform, 10), concert.id);
    await ok(settings(concert.id, { maxActive: 3 }));
    await ok(control(concert.id, 'resume'));
    await eventually('3 admitted', async () => (await stats(concert.id)).admitted >= 3, 10_000);
    // At 50/s the other 7 would be in within a few ticks without the cap.
    for (let i = 0; i < 10; i++) {
      const now = await stats(concert.id);
      assert.deepEqual([now.admitted, now.waiting], [3, 7]);
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await ok(settings(concert.id, { maxActive: 5 }));
    await eventually('5 admitted', async () => (await stats(concert.id)).admitted === 5, 5_000);
    const entries = await audit(concert.id);
    assert.deepEqual(
      entries.map((i) => [i.action, i.actor.email]),
      [
        ['line.settings', platform.admin.email],
        ['line.resume', platform.admin.email],
        ['line.settings', platform.admin.email],
        ['line.pause', platform.admin.email],
      ],
    );
  });

  test('the controls survive a restart of the waiting room and the loss of the line state in Redis', async () => {
    const concert = await line(50);
    await ok(control(concert.id, 'pause'));
    const fans = mintFans(platform, 3);
    await joinAll(fans, concert.id);
    await platform.services.get('waiting-room')!.stop();
    await platform.startService('waiting-room', { WAITING_ROOM_TICK_MS: String(TICK_MS) });
    // The gateway reaches the new process (errors meanwhile are the restart, not the controls).
    await eventually('the restarted waiting room answers', async () => (await status(platform, fans[0], concert.id)).status === 200, 15_000);
    await staysWaiting(fans, concert.id, 10 * TICK_MS);
    assert.equal(await redis.del(waitingRoomKeys(concert.id).state), 1, 'the state hash existed');
    await staysWaiting(fans, concert.id, 10 * TICK_MS);
    assert.equal((await stats(concert.id)).paused, true);
    await ok(control(concert.id, 'resume'));
    for (const fan of fans) await admitted(platform, fan, concert.id, 10_000);
  });
});

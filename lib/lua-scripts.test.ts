/** The shared Lua scripts (lib/lua) through their TypeScript wrappers, against a real redis-server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { newId, startTestRedis } from '../test/support/stores.js';
import { AppError } from './errors.js';
import { KERNEL_LUA_DIR, readLuaScript } from './lua-scripts.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { createRedisLocks, type RedisLocks } from './redis-lock.js';

let stores: Awaited<ReturnType<typeof startTestRedis>>;
let redis: Redis;
let limiter: RateLimiter;
let locks: RedisLocks;

before(async () => {
  stores = await startTestRedis('lua-scripts');
  redis = stores.redis();
  limiter = createRateLimiter(redis);
  locks = createRedisLocks(redis);
});
after(() => stores?.stop());

test('@include fragments are inlined', () => {
  const lua = readLuaScript(KERNEL_LUA_DIR, 'rate-limit-1.lua');
  assert.match(lua, /local function fixedWindowHit/);
  assert.doesNotMatch(lua, /@include/);
});

describe('rate-limit-1.lua', () => {
  test('allows `limit` hits per window, then refuses with the time until the window resets', async () => {
    const rule = { name: 'test', limit: 2, windowMs: 60_000 };
    const subject = newId();
    await limiter.hit(rule, subject);
    await limiter.hit(rule, subject);
    const refused = await limiter.hit(rule, subject).then(
      () => assert.fail('third hit allowed'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, 'rate_limited');
    assert.equal(refused.headers?.['Retry-After'], '60');
    // Another subject has its own window.
    await limiter.hit(rule, newId());
  });

  test('the window resets: a refused subject is allowed again after it', async () => {
    const rule = { name: 'test-short', limit: 1, windowMs: 200 };
    const subject = newId();
    await limiter.hit(rule, subject);
    await assert.rejects(limiter.hit(rule, subject), (err: unknown) => err instanceof AppError && err.code === 'rate_limited');
    const until = Date.now() + 5000;
    for (;;) {
      const allowed = await limiter.hit(rule, subject).then(
        () => true,
        () => false,
      );
      if (allowed) break;
      assert.ok(Date.now() < until, 'never allowed again');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  test('a counter left without expiry (refused hits count too) still gets one', async () => {
    const rule = { name: 'test-noexpiry', limit: 1, windowMs: 30_000 };
    const subject = newId();
    await redis.set(`{ratelimit:${rule.name}:${subject}}`, '5');
    await assert.rejects(limiter.hit(rule, subject), (err: unknown) => err instanceof AppError && err.headers?.['Retry-After'] === '30');
    assert.ok((await redis.pttl(`{ratelimit:${rule.name}:${subject}}`)) > 0);
  });
});

describe('release-lock-1.lua and renew-lease-1.lua', () => {
  test('release: deletes the lock only while it holds our token', async () => {
    const key = `{test-lock}:${newId()}`;
    const token = await locks.tryAcquire(key, 10_000);
    assert.ok(token);
    assert.equal(await locks.tryAcquire(key, 10_000), null, 'taken');
    await locks.release(key, token);
    assert.equal(await redis.exists(key), 0);

    // Ours expired and someone else took it: our release leaves theirs alone.
    const mine = await locks.tryAcquire(key, 10_000);
    assert.ok(mine);
    await redis.set(key, 'someone-else', 'PX', 10_000);
    await locks.release(key, mine);
    assert.equal(await redis.get(key), 'someone-else');
  });

  test('renew: extends the lease while it holds our token, refuses once it is someone else’s or gone', async () => {
    const key = `{test-lease}:${newId()}`;
    const token = await locks.tryAcquire(key, 1000);
    assert.ok(token);
    assert.equal(await locks.renew(key, token, 60_000), true);
    assert.ok((await redis.pttl(key)) > 30_000);
    await redis.set(key, 'someone-else', 'PX', 1000);
    assert.equal(await locks.renew(key, token, 60_000), false);
    assert.ok((await redis.pttl(key)) <= 1000);
    await redis.del(key);
    assert.equal(await locks.renew(key, token, 60_000), false);
    assert.equal(await redis.exists(key), 0);
  });

  test('withLock runs the work holding the lock and releases it', async () => {
    const key = `{test-with-lock}:${newId()}`;
    const seen = await locks.withLock(key, 10_000, 1000, () => redis.exists(key));
    assert.equal(seen, 1);
    assert.equal(await redis.exists(key), 0);
  });
});

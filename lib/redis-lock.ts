import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineLuaCommands, KERNEL_LUA_DIR } from './lua-scripts.js';

interface LockCommands {
  releaseLock(lockKey: string, token: string): Promise<number>;
  renewLease(lockKey: string, token: string, ttlMs: number): Promise<number>;
}

/** A lease-style lock in Redis: it expires on its own if the holder dies. */
export function createRedisLocks(redis: Redis) {
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['release-lock-1.lua', 'renew-lease-1.lua']);
  const lua = redis as unknown as LockCommands;

  return {
    /** Takes the lock now or returns null. */
    async tryAcquire(key: string, ttlMs: number): Promise<string | null> {
      const token = randomUUID();
      return (await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK' ? token : null;
    },
    /** Extends the lock if it is still ours; false when it expired or was taken over. */
    async renew(key: string, token: string, ttlMs: number): Promise<boolean> {
      return (await lua.renewLease(key, token, ttlMs)) === 1;
    },
    /** Releases the lock if it is still ours. */
    async release(key: string, token: string): Promise<void> {
      await lua.releaseLock(key, token);
    },
    /** Runs `work` holding the lock, waiting up to `waitMs` for it. */
    async withLock<T>(key: string, ttlMs: number, waitMs: number, work: () => Promise<T>): Promise<T> {
      const until = Date.now() + waitMs;
      let token = await this.tryAcquire(key, ttlMs);
      while (!token) {
        if (Date.now() > until) throw new Error(`lock ${key} busy for ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
        token = await this.tryAcquire(key, ttlMs);
      }
      try {
        return await work();
      } finally {
        await this.release(key, token);
      }
    },
  };
}

export type RedisLocks = ReturnType<typeof createRedisLocks>;

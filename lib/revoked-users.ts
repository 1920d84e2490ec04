import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { createRedis } from './redis.js';

/**
 * Users whose access tokens must stop working before they expire: a deleted account,
 * "log out everywhere", a refresh token replayed by a thief. Access tokens are
 * verified with the public key alone, so this list is what makes them revocable,
 * and it is read from memory: the hot path (every authenticated request, the
 * Socket.IO handshake) pays no Redis round trip for it.
 *
 * - Redis: sorted set REVOKED_USERS_KEY, member = user id, score = `revokedThroughMs`.
 *   A token of that user issued (iat) at or before it is refused. Auth writes it
 *   (`revokeUser`) and trims entries whose tokens have all expired.
 * - Every verifying process loads the set at start, applies what Auth publishes on
 *   REVOKED_USERS_CHANNEL (`<userId> <revokedThroughMs>`) as it arrives, and reloads
 *   the set every RESYNC_MS and on reconnect: pub/sub loses what is published while
 *   a subscriber is disconnected, and the reload also forgets what Auth trimmed.
 *
 * `iat` has whole seconds, so a token issued in the same second as the revocation,
 * before or after it, is refused; Auth waits out that second before signing for a
 * revoked user again (`waitUntilPast`).
 */
export const REVOKED_USERS_KEY = '{auth}:revoked-users';
export const REVOKED_USERS_CHANNEL = 'auth:revoked-users';
const RESYNC_MS = 30_000;

/**
 * Auth's side: refuse every access token of `userId` issued up to `revokedThroughMs`.
 * `keepMs` is the access-token lifetime: an entry is trimmed once every token it
 * refuses has expired. A later, earlier-reaching revocation never shortens one (GT).
 */
export async function revokeUser(redis: Redis, userId: string, revokedThroughMs: number, keepMs: number): Promise<void> {
  await redis
    .multi()
    .zadd(REVOKED_USERS_KEY, 'GT', revokedThroughMs, userId)
    .zremrangebyscore(REVOKED_USERS_KEY, '-inf', `(${Date.now() - keepMs}`)
    .exec();
  await redis.publish(REVOKED_USERS_CHANNEL, `${userId} ${revokedThroughMs}`);
}

export interface RevokedUsers {
  /** True when the token of `userId` issued at `iatSeconds` was revoked. */
  isRevoked(userId: string, iatSeconds: number | undefined): boolean;
  /** The latest revocation of the user in force, if any (ms). */
  revokedThrough(userId: string): number | undefined;
  /** Records a revocation made by this process now, without waiting for its own message. */
  note(userId: string, revokedThroughMs: number): void;
  /** Called for every revocation this process learns of (e.g. to close the user's sockets). */
  onRevoked(listener: (userId: string) => void): void;
  /** Resolves once a token signed now for the user would be accepted (at most about a second). */
  waitUntilPast(userId: string): Promise<void>;
  close(): Promise<void>;
}

/** Loads the list, subscribes to changes (its own subscriber connection) and keeps it fresh. */
export async function startRevokedUsers(redis: Redis, redisUrl: string, logger: Logger, opts: { resyncMs?: number } = {}): Promise<RevokedUsers> {
  let revoked = new Map<string, number>();
  const listeners: Array<(userId: string) => void> = [];
  // Revocations learnt while a reload is in flight; its answer may predate them.
  let duringReload: Array<[string, number]> | undefined;

  const note = (userId: string, revokedThroughMs: number) => {
    if (!(revokedThroughMs <= (revoked.get(userId) ?? -Infinity))) revoked.set(userId, revokedThroughMs);
    duringReload?.push([userId, revokedThroughMs]);
    for (const listener of listeners) listener(userId);
  };

  let reloading: Promise<void> | undefined;
  const reload = () =>
    (reloading ??= (async () => {
      duringReload = [];
      try {
        const flat = await redis.zrange(REVOKED_USERS_KEY, 0, -1, 'WITHSCORES');
        const fresh = new Map<string, number>();
        for (let i = 0; i < flat.length; i += 2) fresh.set(flat[i], Number(flat[i + 1]));
        for (const [userId, at] of duringReload) if (!(at <= (fresh.get(userId) ?? -Infinity))) fresh.set(userId, at);
        revoked = fresh;
      } finally {
        duringReload = undefined;
        reloading = undefined;
      }
    })());

  const subscriber = createRedis(redisUrl, logger, 'revoked-users', { subscriber: true });
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== REVOKED_USERS_CHANNEL) return;
    const [userId, at] = message.split(' ');
    if (userId && Number.isFinite(Number(at))) note(userId, Number(at));
  });
  let connectedOnce = false;
  subscriber.on('ready', () => {
    if (connectedOnce) reload().catch((err) => logger.warn({ err }, 'revoked users not reloaded after reconnect'));
    connectedOnce = true;
  });
  // Subscribed before the first load, so nothing published in between is missed.
  await subscriber.subscribe(REVOKED_USERS_CHANNEL);
  await reload();
  const timer = setInterval(() => void reload().catch((err) => logger.warn({ err }, 'revoked users not reloaded')), opts.resyncMs ?? RESYNC_MS);
  timer.unref();

  return {
    isRevoked(userId, iatSeconds) {
      const through = revoked.get(userId);
      if (through === undefined) return false;
      return typeof iatSeconds !== 'number' || iatSeconds * 1000 <= through;
    },
    revokedThrough: (userId) => revoked.get(userId),
    note,
    onRevoked(listener) {
      listeners.push(listener);
    },
    async waitUntilPast(userId) {
      const through = revoked.get(userId);
      if (through === undefined) return;
      const acceptedFrom = (Math.floor(through / 1000) + 1) * 1000;
      // A revocation reaching into the future (a deleted account) is not waited for.
      if (acceptedFrom - Date.now() > 1000) return;
      // A loop: timers may fire a millisecond early, and a token signed then would be born revoked.
      while (Date.now() < acceptedFrom) await new Promise((resolve) => setTimeout(resolve, acceptedFrom - Date.now()));
    },
    async close() {
      clearInterval(timer);
      await subscriber.quit();
    },
  };
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type mongoose from 'mongoose';

/**
 * Redis state that changes without any request, or that counts requests by
 * design; each was seen to change in a run. Everything else in Redis, and every
 * document of every MongoDB collection, is compared byte for byte.
 */
export const REDIS_EXCLUSIONS: Array<{ match: RegExp; fields?: string[]; why: string }> = [
  {
    match: /^\{ratelimit:waiting-room-join-ip:/,
    why: 'the waiting-room join counter per client IP (WAITING_ROOM_JOIN_LIMIT_PER_IP) counts every join attempt, a malformed one too, by design: it is there to stop floods',
  },
  {
    match: /^\{ratelimit:waiting-room-join-account:/,
    why: 'the per-account join counter (WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT) counts each join of a real line, by design; its window also expires on its own',
  },
  {
    match: /^\{ratelimit:booking-submit:[^}]+\}$/,
    why: 'the per-fan booking-submission counter (BOOKING_SUBMIT_LIMIT): a submission that passes validation counts even when it is then refused (a concert that does not exist, no admission token), by design',
  },
  { match: /:stalled-check$/, why: 'BullMQ workers rewrite this key on their own schedule to detect stalled jobs' },
  {
    match: /^\{booking-reconciler\}:(leader|accepted|cancelling)$/,
    why: "the reconciler's leader lease and work lists: renewed, read and emptied on its own schedule (every few seconds)",
  },
  {
    match: /^\{waiting-list\}:ticker-leader$/,
    why: "the waiting-list ticker's leader lease: renewed, or taken again, on its own schedule (every tick)",
  },
  {
    match: /:wr:state$/,
    fields: ['lastTickMs', 'credits', 'rate'],
    why: "the waiting-room ticker's clock, admission credits and measured rate move with time; the line itself (seq, serving, waiting, opened, soldOut) is compared",
  },
];

export interface StoreFingerprint {
  /** `mongo:<collection>` or `redis:<key>` → hash of the content. */
  entries: Map<string, string>;
  /** Documents per MongoDB collection (for the report). */
  counts: Record<string, number>;
  redisKeys: number;
}

const sha = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

async function redisValue(redis: Redis, key: string): Promise<string | undefined> {
  const rule = REDIS_EXCLUSIONS.find((r) => r.match.test(key));
  if (rule && !rule.fields) return undefined;
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return `string:${await redis.getBuffer(key).then((b) => b?.toString('base64'))}`;
    case 'hash': {
      const all = await redis.hgetall(key);
      for (const field of rule?.fields ?? []) delete all[field];
      return `hash:${JSON.stringify(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    }
    case 'list':
      return `list:${JSON.stringify(await redis.lrange(key, 0, -1))}`;
    case 'set':
      return `set:${JSON.stringify((await redis.smembers(key)).sort())}`;
    case 'zset':
      return `zset:${JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'))}`;
    case 'stream':
      return `stream:${JSON.stringify(await redis.xrange(key, '-', '+'))}`;
    case 'none':
      return undefined; // expired between SCAN and TYPE
    default:
      return `${type}:?`;
  }
}

/** A content hash of every MongoDB document and every Redis key not excluded above. */
export async function fingerprintStores(db: mongoose.Connection, redis: Redis): Promise<StoreFingerprint> {
  const entries = new Map<string, string>();
  const counts: Record<string, number> = {};
  const collections = (await db.db!.listCollections().toArray()).map((c) => c.name).sort();
  for (const name of collections) {
    const docs = await db.db!.collection(name).find({}).sort({ _id: 1 }).toArray();
    counts[name] = docs.length;
    entries.set(`mongo:${name}`, `${docs.length}:${sha(JSON.stringify(docs))}`);
  }
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  for (const key of keys.sort()) {
    const value = await redisValue(redis, key);
    if (value !== undefined) entries.set(`redis:${key}`, sha(value));
  }
  return { entries, counts, redisKeys: keys.length };
}

/** What differs between two fingerprints: added, removed and changed entries. */
export function fingerprintDiff(before: StoreFingerprint, after: StoreFingerprint): string[] {
  const diff: string[] = [];
  for (const [name, hash] of after.entries) {
    if (!before.entries.has(name)) diff.push(`+ ${name}`);
    else if (before.entries.get(name) !== hash) diff.push(`~ ${name}`);
  }
  for (const name of before.entries.keys()) if (!after.entries.has(name)) diff.push(`- ${name}`);
  return diff;
}

/** Waits until two fingerprints taken `gapMs` apart agree: in-flight work (a worker's write, an email) has landed. */
export async function quiescentFingerprint(db: mongoose.Connection, redis: Redis, timeoutMs = 30_000, gapMs = 400): Promise<StoreFingerprint> {
  const until = Date.now() + timeoutMs;
  let previous = await fingerprintStores(db, redis);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    const current = await fingerprintStores(db, redis);
    const diff = fingerprintDiff(previous, current);
    if (diff.length === 0) return current;
    if (Date.now() > until) throw new Error(`the stores never settled; still changing: ${diff.join(', ')}`);
    previous = current;
  }
}

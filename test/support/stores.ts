/**
 * One redis-server and one FerretDB for a whole test file (the fast in-process
 * layer of the pyramid): each test takes its own database and its own concert
 * and fan ids, so tests in a file do not see each other's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import mongoose, { Types, type Connection } from 'mongoose';
import { bookingModel } from '../../lib/records/booking.record.js';
import { concertModel, type ConcertDoc } from '../../lib/records/concert.record.js';
import { freePort } from '../../scripts/stack/processes.js';
import { startFerretDb, startRedis, type ServerHandle } from '../../scripts/stack/servers.js';

export interface TestStores {
  redisServer: ServerHandle;
  mongoServer: ServerHandle;
  redisUrl: string;
  /** A Redis connection closed by `stop()`. */
  redis(): Redis;
  /** A database of its own (connection closed by `stop()`), with the bookings collection's indexes. */
  database(name: string): Promise<Connection>;
  stop(): Promise<void>;
}

/** Only a redis-server, for tests of the Lua scripts. */
export async function startTestRedis(name: string): Promise<{ url: string; redis(): Redis; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `onsale-${name}-`));
  const server = await startRedis(path.join(dir, 'redis'), await freePort(), { kind: 'ignore' });
  const connections: Redis[] = [];
  return {
    url: server.url,
    redis() {
      const redis = new Redis(server.url, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      connections.push(redis);
      return redis;
    },
    async stop() {
      await Promise.all(connections.map((r) => r.quit().catch(() => r.disconnect())));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startStores(name: string): Promise<TestStores> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `onsale-${name}-`));
  const [redisPort, mongoPort] = await Promise.all([freePort(), freePort()]);
  const [redisServer, mongoServer] = await Promise.all([
    startRedis(path.join(dir, 'redis'), redisPort, { kind: 'ignore' }),
    startFerretDb(path.join(dir, 'ferretdb'), mongoPort, { kind: 'ignore' }),
  ]);
  const redisConnections: Redis[] = [];
  const mongoConnections: Connection[] = [];
  return {
    redisServer,
    mongoServer,
    redisUrl: redisServer.url,
    redis() {
      const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
      redis.on('error', () => undefined);
      redisConnections.push(redis);
      return redis;
    },
    async database(db: string) {
      const url = new URL(mongoServer.url);
      url.pathname = `/${db}`;
      const conn = await mongoose.createConnection(url.href, { serverSelectionTimeoutMS: 5000, autoIndex: false }).asPromise();
      mongoConnections.push(conn);
      await bookingModel(conn).createIndexes();
      return conn;
    },
    async stop() {
      await Promise.all(redisConnections.map((r) => r.quit().catch(() => r.disconnect())));
      await Promise.all(mongoConnections.map((c) => c.close()));
      await Promise.all([redisServer.stop(), mongoServer.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A short database name of its own for one test. */
export const databaseName = (label: string) => `${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}${new Types.ObjectId().toHexString().slice(-8)}`;

/** Writes a concert with one seat type straight into the record. */
export async function createConcert(conn: Connection, opts: { startsAt: Date; capacity: number; price?: number }): Promise<ConcertDoc> {
  const doc: ConcertDoc = {
    _id: new Types.ObjectId(),
    name: 'Night',
    venue: 'Hall',
    startsAt: opts.startsAt,
    seatTypes: [{ _id: new Types.ObjectId(), name: 'Floor', nameKey: 'floor', price: opts.price ?? 10, capacity: opts.capacity }],
    waitingRoom: { enabled: false },
    createdAt: new Date(),
  };
  await concertModel(conn).collection.insertOne(doc);
  return doc;
}

/** Polls until `check` returns something truthy; fails naming `what` after the deadline. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const hourFromNow = () => new Date(Date.now() + 3_600_000);
export const newId = () => new Types.ObjectId().toHexString();

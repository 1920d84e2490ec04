/**
 * The warm-up at start (lib/warm-up.ts) leaves no trace: a copy of each service started
 * with it on, beside a platform started with it off, changes no record, no Redis key
 * outside its namespace, and no metric; its own keys are gone once the copy is ready.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { WARM_UP_PREFIX } from '../../lib/warm-up.js';
import type { ServiceName } from '../../scripts/stack/platform.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const WARMED: ServiceName[] = ['booking', 'booking-worker', 'notification', 'waiting-room'];

let platform: TestPlatform;
let redis: Redis;
let mongo: mongoose.Mongoose;
before(async () => {
  platform = await startTestPlatform('warm-up', { env: { WARM_UP: '0' } });
  redis = new Redis(platform.redisUrl);
  mongo = await mongoose.connect(platform.mongoUrl, { serverSelectionTimeoutMS: 5000, autoIndex: false });
});
after(async () => {
  redis?.disconnect();
  await mongo?.disconnect();
  await platform?.stop();
});

/** Every key with its type and whether it expires. */
async function redisKeys(): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for await (const batch of redis.scanStream({ count: 1000 }) as AsyncIterable<string[]>) {
    for (const key of batch) keys.set(key, `${await redis.type(key)}${(await redis.pttl(key)) >= 0 ? ' (expires)' : ''}`);
  }
  return keys;
}

/** Every document of every collection of every database, as JSON, by collection. */
async function records(): Promise<Record<string, string[]>> {
  const admin = mongo.connection.getClient().db().admin();
  const out: Record<string, string[]> = {};
  for (const { name: dbName } of (await admin.listDatabases()).databases) {
    const db = mongo.connection.getClient().db(dbName);
    for (const { name } of await db.listCollections().toArray()) {
      const docs = await db.collection(name).find().toArray();
      out[`${dbName}.${name}`] = docs.map((d) => JSON.stringify(d)).sort();
    }
  }
  return out;
}

/** The samples of a Prometheus text page that count something (counters, and histograms' `_count`). */
async function counts(port: string): Promise<Map<string, number>> {
  const page = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of page.split('\n')) {
    const match = /^([a-z_]+(?:_total|_count))(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && !/^(process|nodejs)_/.test(match[1])) samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

/** Starts one more copy of a service and waits until it is healthy; returns it and how long that took. */
async function startCopy(name: ServiceName, warmUp: '0' | '1') {
  const started = performance.now();
  const copy = await platform.startService(name, { WARM_UP: warmUp }, `${name}-warm-up-${warmUp}`);
  return { copy, ms: Math.round(performance.now() - started), log: readFileSync(path.join(platform.outputDir, `${name}-warm-up-${warmUp}.log`), 'utf8') };
}

test('a service warming up at start writes no record, no Redis key outside its namespace and no metric', { timeout: 240_000 }, async (t) => {
  // The control: what a start without the warm-up changes (leases, BullMQ's markers)
  // is part of the baseline, so only the warm-up's own changes remain to be found.
  const keysBefore = await redisKeys();
  const startMs = new Map<ServiceName, number>();
  for (const name of WARMED) {
    const { ms, log } = await startCopy(name, '0');
    assert.doesNotMatch(log, /warmed up/, `${name} warmed up with WARM_UP=0`);
    startMs.set(name, ms);
  }
  for (const [key, kind] of await redisKeys()) keysBefore.set(key, kind);
  const recordsBefore = await records();

  for (const name of WARMED) {
    const { copy, ms, log } = await startCopy(name, '1');
    const warmedMs = /"ms":(\d+).*"msg":"warmed up"/.exec(log)?.[1];
    assert.ok(warmedMs, `${name} logged no warm-up: ${log.slice(-2000)}`);
    t.diagnostic(`${name}: healthy after ${ms} ms with the warm-up (${warmedMs} ms of it), ${startMs.get(name)} ms without`);

    // Only the health checks the platform made while waiting for it were answered.
    for (const [sample, value] of await counts(copy.env.PORT!)) {
      if (sample.startsWith('http_request_duration_seconds_count')) assert.match(sample, /route="\/health"/, `${name}: ${sample} ${value}`);
      else assert.equal(value, 0, `${name} counted ${sample} ${value}`);
    }
  }

  const keysAfter = await redisKeys();
  const changed = [...keysAfter].filter(([key, kind]) => keysBefore.get(key) !== kind).map(([key]) => key);
  assert.deepEqual(
    changed.filter((key) => !key.startsWith(WARM_UP_PREFIX)),
    [],
    'keys outside the warm-up namespace appeared',
  );
  assert.deepEqual(
    changed.filter((key) => key.startsWith(WARM_UP_PREFIX) && !keysAfter.get(key)!.endsWith('(expires)')),
    [],
    'warm-up keys left that never expire',
  );
  assert.deepEqual(await records(), recordsBefore, 'the record changed');
});

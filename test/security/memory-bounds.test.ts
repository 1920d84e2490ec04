/**
 * A stranger cannot grow a process's memory by asking for things that do not exist:
 * the concert cache every booking consults keeps a bounded number of entries, however
 * many distinct ids it is asked for. Proven in-process against a real FerretDB with
 * 100,000 random concert ids: the cache's size stays at its cap and the heap after a
 * full GC stays flat.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mongoose, { Types, type Connection } from 'mongoose';
import { createConcertCache } from '../../lib/records/concert-cache.js';
import { concertModel } from '../../lib/records/concert.record.js';
import { freePort } from '../../scripts/stack/processes.js';
import { startFerretDb, type ServerHandle } from '../../scripts/stack/servers.js';

const RANDOM_IDS = 100_000;
const PARALLEL = 200;

let dir: string;
let ferretdb: ServerHandle;
let conn: Connection;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'onsale-memory-bounds-'));
  ferretdb = await startFerretDb(path.join(dir, 'ferretdb'), await freePort(), { kind: 'ignore' });
  conn = await mongoose.createConnection(ferretdb.url, { serverSelectionTimeoutMS: 5000, maxPoolSize: 50 }).asPromise();
});
after(async () => {
  await conn?.close();
  await ferretdb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** node's own gc(), exposed at run time (the same as --expose-gc). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function askForRandomIds(get: (id: string) => Promise<unknown>, count: number) {
  for (let done = 0; done < count; done += PARALLEL) {
    const ids = Array.from({ length: Math.min(PARALLEL, count - done) }, () => new Types.ObjectId().toHexString());
    const answers = await Promise.all(ids.map(get));
    assert.ok(
      answers.every((a) => a === null),
      'no such concert',
    );
  }
}

test('100,000 random concert ids leave the concert cache at its cap and the heap flat', async () => {
  // A long TTL: entries that merely expired must not be what keeps the cache small.
  const cache = createConcertCache(concertModel(conn), 10 * 60_000);
  const sizeOf = () => (cache as { size?: number }).size;
  await askForRandomIds((id) => cache.get(id), 12_000); // warm: the cache reaches its cap, the pool its connections
  const sizeWarm = sizeOf();
  const heapWarm = heapAfterGc();
  await askForRandomIds((id) => cache.get(id), RANDOM_IDS);
  const sizeAfter = sizeOf();
  const heapAfter = heapAfterGc();
  console.log(JSON.stringify({ sizeWarm, sizeAfter, heapWarmMb: heapWarm / 2 ** 20, heapAfterMb: heapAfter / 2 ** 20 }));
  // 100,000 kept entries cost well over 15 MB; a bounded cache stays within GC noise.
  assert.ok(heapAfter - heapWarm < 5 * 2 ** 20, `heap grew ${((heapAfter - heapWarm) / 2 ** 20).toFixed(1)} MB`);
  assert.equal(typeof sizeAfter, 'number', 'the cache reports its size');
  assert.ok(sizeAfter! <= 20_000, `cache holds ${sizeAfter} entries after ${RANDOM_IDS} random ids`);
  assert.equal(sizeAfter, sizeWarm, 'the size does not grow after the cap is reached');
});

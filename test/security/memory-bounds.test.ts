/**
 * A stranger cannot grow a process's memory by asking for things that do not exist:
 * the concert cache every booking consults keeps a bounded number of entries, however
 * many distinct ids it is asked for: 100,000 random concert ids leave its size at its
 * cap and the heap after a full GC flat. The claim is about the cache's memory, not the
 * store's answers, so the model answers "no such concert" at once (100,000 real
 * FerretDB round trips took over two minutes of the suite, for the same null).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Types } from 'mongoose';
import { createConcertCache } from '../../lib/records/concert-cache.js';
import type { ConcertModel } from '../../lib/records/concert.record.js';

const RANDOM_IDS = 100_000;
const PARALLEL = 200;

/** A concerts model that knows no concert, as the record does for random ids. */
const noConcerts = { findById: () => ({ lean: () => ({ exec: () => Promise.resolve(null) }) }) } as unknown as ConcertModel;

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
  const cache = createConcertCache(noConcerts, 10 * 60_000);
  const sizeOf = () => (cache as { size?: number }).size;
  await askForRandomIds((id) => cache.get(id), 50_000); // warm: the cache reaches its cap and its Map its working size
  const sizeWarm = sizeOf();
  const heapWarm = heapAfterGc();
  await askForRandomIds((id) => cache.get(id), RANDOM_IDS);
  const sizeAfter = sizeOf();
  const heapAfter = heapAfterGc();
  console.log(JSON.stringify({ sizeWarm, sizeAfter, heapWarmMb: heapWarm / 2 ** 20, heapAfterMb: heapAfter / 2 ** 20 }));
  // Measured here: 100,000 kept entries (the unbounded cache) grow the heap by ~36 MB; the
  // bounded one by ~3.5 MB of churn (the Map reallocating as entries come and go).
  assert.ok(heapAfter - heapWarm < 12 * 2 ** 20, `heap grew ${((heapAfter - heapWarm) / 2 ** 20).toFixed(1)} MB`);
  assert.equal(typeof sizeAfter, 'number', 'the cache reports its size');
  assert.ok(sizeAfter! <= 20_000, `cache holds ${sizeAfter} entries after ${RANDOM_IDS} random ids`);
  assert.equal(sizeAfter, sizeWarm, 'the size does not grow after the cap is reached');
});

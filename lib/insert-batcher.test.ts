import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInsertBatcher } from './insert-batcher.js';

/** The shape of the driver's MongoBulkWriteError: per-document errors with their index in the batch. */
const bulkError = (writeErrors: Array<{ index: number; code: number }>) => Object.assign(new Error('bulk write failed'), { writeErrors });

test('a batch the server refused in part: the named documents are duplicates or failures, the others were written', async () => {
  const batcher = createInsertBatcher<string>(
    () =>
      Promise.reject(
        bulkError([
          { index: 1, code: 11000 },
          { index: 2, code: 121 },
        ]),
      ),
    { maxBatch: 3, maxWaitMs: 50 },
  );
  const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((doc) => batcher.insert(doc)));
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected')),
    ['inserted', 'duplicate', 'rejected'],
  );
});

test('a bulk error naming no document (the server unreachable, the connection lost) fails every insert of the batch', async () => {
  // What the driver throws for insertMany while MongoDB is down: a MongoBulkWriteError with writeErrors = [].
  const batcher = createInsertBatcher<string>(() => Promise.reject(bulkError([])), { maxBatch: 3, maxWaitMs: 50 });
  const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((doc) => batcher.insert(doc)));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected', 'rejected'],
  );
});

test('any other error fails every insert of the batch', async () => {
  const batcher = createInsertBatcher<string>(() => Promise.reject(new Error('connection reset')), { maxBatch: 2, maxWaitMs: 50 });
  const outcomes = await Promise.allSettled(['a', 'b'].map((doc) => batcher.insert(doc)));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected'],
  );
});

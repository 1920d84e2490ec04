import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { Types } from 'mongoose';
import { requestKey } from '../../../lib/booking-requests.js';
import { createLogger } from '../../../lib/logger.js';
import { QUEUES, type ReserveJobData } from '../../../lib/queues.js';
import { createRedis } from '../../../lib/redis.js';
import { freePort } from '../../../scripts/stack/processes.js';
import { startRedis, type ServerHandle } from '../../../scripts/stack/servers.js';
import { createRequestJournal } from '../request-journal.js';
import { createRequestStore } from '../request-store.js';

// The journal against a real redis-server that loses its data: the race the storm
// scenario (test/faults/redis-restart-empty) hits only now and then, made exact.
let server: ServerHandle;
let dataDir: string;
const logger = createLogger('request-journal-test', 'silent');

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'onsale-journal-'));
  server = await startRedis(dataDir, await freePort(), { kind: 'ignore' });
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const job = (): ReserveJobData => ({
  requestId: new Types.ObjectId().toHexString(),
  concertId: new Types.ObjectId().toHexString(),
  seatTypeId: new Types.ObjectId().toHexString(),
  userId: new Types.ObjectId().toHexString(),
  userEmail: 'fan@test.local',
  submittedAt: Date.now(),
});

test('after Redis loses its data, a request answered confirmed in the new Redis but whose job is gone is queued again (its email job may be gone too); a rejection is not', async () => {
  const redis = createRedis(server.url, logger, 'journal-test');
  const queue = new Queue(QUEUES.bookings.name, { connection: redis, prefix: QUEUES.bookings.prefix });
  const requests = createRequestStore(redis, { limit: 100, windowMs: 60_000 });
  const journal = createRequestJournal(redis, queue, requests, logger, { jobAttempts: 3, jobBackoffMs: 100, sweepEveryMs: 3_600_000 });
  try {
    const [confirmed, rejected, undecided] = [job(), job(), job()];
    for (const j of [confirmed, rejected, undecided]) {
      await requests.create(j, j.submittedAt);
      await journal.enqueue(j);
    }
    await journal.sweep(); // the journal's clock is written once before the loss

    // Redis loses everything (FLUSHALL here: without a dropped connection the
    // journal sweeps only when told, so the order below is exact).
    await redis.flushall();
    // What a worker that decided across the restart leaves in the new Redis: the
    // answer, and no job (its job, and the email job it queued, were in the old one).
    await redis.hset(requestKey(confirmed.requestId), { userId: confirmed.userId, status: 'confirmed', reason: '' });
    await redis.hset(requestKey(rejected.requestId), { userId: rejected.userId, status: 'rejected', reason: 'sold_out' });

    const outcome = await journal.sweep();
    assert.equal(outcome.redisLostWrites, true);
    const again = async (j: ReserveJobData) => (await queue.getJob(j.requestId))?.data as ReserveJobData | undefined;
    assert.deepEqual(await again(confirmed), { ...confirmed, requeued: true }, 'the confirmed request is queued again');
    assert.deepEqual(await again(undecided), { ...undecided, requeued: true }, 'the undecided request is queued again');
    assert.equal(await again(rejected), undefined, 'a rejection has nothing Redis could have lost with it');
    assert.equal(outcome.requeued, 2);
  } finally {
    await journal.stop();
    await queue.close();
    redis.disconnect();
  }
});

import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import mongoose from 'mongoose';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { loggedEntries } from './support/service-logs.js';
import { runStormWithFault, writeReliabilityReport } from './support/storm.js';

let platform: TestPlatform;
let admin: string;

before(async () => {
  platform = await startTestPlatform('faults-redis-restart-empty');
  admin = await adminToken(platform);
});
after(() => platform?.stop());

/** The redis-server's data folder (its --dir). */
function redisDataDir(): string {
  const args = platform.redis!.process.args;
  return args[args.indexOf('--dir') + 1];
}

/** Confirmed bookings of the concert without a confirmation email, once emails have had time to go out. */
async function confirmationEmailsMissing(concertId: string): Promise<number> {
  const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  try {
    const bookings = await db
      .collection('bookings')
      .find({ concertId, status: 'confirmed' }, { projection: { _id: 1 } })
      .toArray();
    const ids = bookings.map((b) => `booking.confirmed:${String(b._id)}`);
    const until = Date.now() + 15_000;
    for (;;) {
      const sent = await db.collection('emails').countDocuments({ _id: { $in: ids } } as never);
      if (sent === ids.length || Date.now() > until) return ids.length - sent;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await db.close();
  }
}

let lostJobs: string[] = [];
let redisBackAt = 0;

test('Redis restarted empty mid-storm: stock and holders come back from MongoDB, and every queued request still gets exactly one final answer', async () => {
  const { report, problems, decidedAt, concertId } = await runStormWithFault({
    name: 'redis-restart-empty',
    fault:
      'once 30 bookings are confirmed Redis is stopped, its data folder emptied (the append-only files deleted) and started again: stock, holders, the bookings queue with every queued request, request statuses and the notifications queue are all gone',
    platform,
    admin,
    async injectFault({ queue, confirmedCount }) {
      const startedAt = Date.now();
      // Paused for the few milliseconds before the stop, so the jobs read here are
      // exactly the ones undecided when Redis goes (a worker could otherwise decide a
      // few in between, and a decided request rightly gets no new job). The pause
      // itself is lost with Redis: the emptied server has no paused queue.
      await queue.pause();
      const [confirmedBefore, counts, waiting] = await Promise.all([
        confirmedCount(),
        queue.getJobCounts('waiting', 'active', 'delayed'),
        queue.getWaiting(0, -1),
      ]);
      lostJobs = waiting.map((job) => job.id!);
      await platform.redis!.stop();
      const dir = redisDataDir();
      const deleted = readdirSync(dir);
      for (const entry of deleted) rmSync(path.join(dir, entry), { recursive: true, force: true });
      await platform.redis!.restart();
      redisBackAt = Date.now();
      return {
        startedAt,
        endedAt: redisBackAt,
        details: { confirmedBefore, jobsInQueueBefore: counts, deleted, endedWhen: 'the empty Redis answered PING' },
      };
    },
  });
  // The queued requests Redis lost come back through the reconciler, read from the record.
  const restored = loggedEntries(platform, 'booking', 'reconciler repaired Redis from the record');
  const sum = (field: string) => restored.reduce((n, e) => n + Number(e[field] ?? 0), 0);
  const requeuedAt = Math.min(...restored.filter((e) => Number(e.requeued) > 0).map((e) => Date.parse(String(e.time))));
  const firstLostAnswered = Math.min(...lostJobs.map((id) => decidedAt.get(id) ?? 0).filter((t) => t >= requeuedAt));
  const emailsMissing = await confirmationEmailsMissing(concertId);
  writeReliabilityReport({
    ...report,
    definitions: {
      ...report.definitions,
      recoverMs:
        'from the empty Redis answering PING to the first decision of a request whose job was waiting in the queue Redis lost (queued again by the reconciler)',
      lostJobs: 'jobs waiting in the bookings queue when Redis was emptied',
      confirmationEmailsMissing:
        'confirmed bookings with no confirmation email 15 s after the last answer (must be 0: an email job lost with Redis is queued again by the reconciler, and sent once)',
      requeuedByBookingService: 'accepted requests the reconciler queued again because their job was gone from Redis',
      emailsQueuedByReconciler: 'confirmation emails the reconciler queued again because their job was gone',
    },
    recoverMs: Number.isFinite(firstLostAnswered) ? firstLostAnswered - redisBackAt : null,
    requeuedAfterMs: Number.isFinite(requeuedAt) ? requeuedAt - redisBackAt : null,
    lostJobs: lostJobs.length,
    confirmationEmailsMissing: emailsMissing,
    requeuedByBookingService: sum('requeued'),
    emailsQueuedByReconciler: sum('emailsQueued'),
  });
  assert.deepEqual(problems, []);
  assert.ok(lostJobs.length > 0, 'requests were still queued when Redis lost them');
  assert.equal(emailsMissing, 0, 'every confirmed booking got its email, also those whose email job Redis lost');
  assert.ok(sum('requeued') >= lostJobs.length, `every lost job was queued again (${sum('requeued')} of ${lostJobs.length})`);
});

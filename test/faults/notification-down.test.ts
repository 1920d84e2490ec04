import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import mongoose from 'mongoose';
import { QUEUES } from '../../lib/queues.js';
import { openRedis } from '../../lib/redis.js';
import type { BookingDoc } from '../../lib/records/booking.record.js';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { loggedEntries } from './support/service-logs.js';
import { runStormWithFault, writeReliabilityReport } from './support/storm.js';

let platform: TestPlatform;
let admin: string;

before(async () => {
  platform = await startTestPlatform('faults-notification-down');
  admin = await adminToken(platform);
});
after(() => platform?.stop());

/** bookingId -> how many times the notification service logged "email sent" for its confirmation. */
function confirmationSends(bookingIds: Set<string>): Map<string, number> {
  const sends = new Map<string, number>();
  for (const entry of loggedEntries(platform, 'notification', 'email sent')) {
    const bookingId = String(entry.bookingId);
    if (entry.event === 'booking.confirmed' && bookingIds.has(bookingId)) sends.set(bookingId, (sends.get(bookingId) ?? 0) + 1);
  }
  return sends;
}

test('the notification service down for a whole storm: bookings are unaffected, and once it is back every confirmation email is sent exactly once', async () => {
  // A small storm first, so neither measured storm pays for a cold platform.
  await runStormWithFault({ name: 'warm-up', fault: 'none', platform, admin, fans: 200, seatTypes: [{ name: 'Warm-up', capacity: 50 }] });
  await platform.services.get('notification')!.stop();
  const downSince = Date.now();
  const storm = await runStormWithFault({
    name: 'notification-down',
    fault: 'the notification service is stopped before the storm and started again after the last answer',
    platform,
    admin,
  });
  const connection = openRedis(platform.redisUrl, { maxRetriesPerRequest: null });
  const notifications = new Queue(QUEUES.notifications.name, { connection, prefix: QUEUES.notifications.prefix });
  const emailJobsWaiting = await notifications.count();
  await notifications.close();
  connection.disconnect();
  await platform.startService('notification');
  const backAt = Date.now();

  // Every confirmed booking's email, exactly once: in the record, in the log, and for the fan.
  const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  const emailProblems: string[] = [];
  let emailsDoneAt: number;
  let emailsSent: number;
  let fansCheckedOverApi: number;
  let sends: Map<string, number>;
  try {
    const bookings = await db
      .collection<BookingDoc>('bookings')
      .find({ concertId: storm.concertId, status: 'confirmed' }, { projection: { _id: 1, userId: 1 } })
      .toArray();
    const bookingIds = new Set(bookings.map((b) => String(b._id)));
    const emailIds = [...bookingIds].map((id) => `booking.confirmed:${id}`);
    const until = Date.now() + 120_000;
    let emails: Array<{ bookingId: string; status: string; sentAt?: Date }> = [];
    for (;;) {
      emails = (await db
        .collection('emails')
        .find({ _id: { $in: emailIds } } as never)
        .toArray()) as never;
      sends = confirmationSends(bookingIds);
      if ((emails.filter((e) => e.status === 'sent').length === bookingIds.size && sends.size === bookingIds.size) || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    emailsSent = emails.filter((e) => e.status === 'sent').length;
    emailsDoneAt = Math.max(0, ...emails.map((e) => (e.sentAt ? new Date(e.sentAt).getTime() : 0)));
    if (emailsSent !== bookingIds.size) emailProblems.push(`${emailsSent} confirmation emails sent for ${bookingIds.size} bookings`);
    const repeated = [...sends].filter(([, n]) => n > 1);
    if (repeated.length) emailProblems.push(`${repeated.length} confirmation emails sent more than once, e.g. booking ${repeated[0][0]}`);

    // What a fan sees: GET /api/v1/notifications lists its one confirmation. A sample of
    // fans: the listing filters by user, which FerretDB answers by scanning every email.
    const fanOf = new Map(storm.fans.map((f) => [f.id, f]));
    const sample = bookings.filter((_, i) => i % 10 === 0);
    fansCheckedOverApi = sample.length;
    await Promise.all(
      sample.map(async (b) => {
        const res = await platform.api.get('/api/v1/notifications', fanOf.get(b.userId)!.token);
        const mine =
          res.status === 200
            ? (res.body as Array<{ event: string; bookingId: string }>).filter((e) => e.event === 'booking.confirmed' && e.bookingId === String(b._id))
            : [];
        if (mine.length !== 1) emailProblems.push(`fan ${b.userId} sees ${mine.length} confirmation emails for booking ${String(b._id)} (${res.status})`);
      }),
    );
  } finally {
    await db.close();
  }

  // The same storm with every service up, to compare with.
  const baseline = await runStormWithFault({ name: 'baseline', fault: 'none: the reference storm, every service up', platform, admin });
  writeReliabilityReport(baseline.report);

  const ratio = (a: number | null, b: number | null) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const report = {
    ...storm.report,
    definitions: {
      ...storm.report.definitions,
      recoverMs: 'from the notification service answering /health again to the last confirmation email sent (the sentAt of the latest email)',
      emailsSent: 'confirmation emails in the emails collection with status sent, for this storm’s bookings',
      emailJobsWaitingAtRestart: 'email jobs waiting in the notifications queue when the service was started again',
      fansCheckedOverApi: 'fans (every tenth booking) whose GET /api/v1/notifications was checked to list exactly one confirmation for their booking',
      emailsSentTwice: 'bookings whose confirmation the notification service logged as sent more than once (must be 0)',
      comparedWithBaseline:
        'the same storm with every service up (baseline.json), run just after on the same platform; ratios near 1 mean unaffected (the machine is shared, so expect noise)',
    },
    recoverMs: emailsDoneAt ? Math.max(0, emailsDoneAt - backAt) : null,
    lastAnswerAfterFaultMs: null,
    faultWindow: {
      startedAtMs: 0,
      endedAtMs: backAt - downSince,
      details: { downForMs: backAt - downSince, endedWhen: 'the notification service answered /health' },
    },
    emailsSent,
    emailsSentTwice: [...sends.values()].filter((n) => n > 1).length,
    fansCheckedOverApi,
    emailJobsWaitingAtRestart: emailJobsWaiting,
    comparedWithBaseline: {
      decisionsPerSecond: {
        baseline: baseline.report.decisionsPerSecond,
        notificationDown: storm.report.decisionsPerSecond,
        ratio: ratio(storm.report.decisionsPerSecond, baseline.report.decisionsPerSecond),
      },
      decisionLatencyP95Ms: {
        baseline: baseline.report.decisionLatencyMs.p95,
        notificationDown: storm.report.decisionLatencyMs.p95,
        ratio: ratio(storm.report.decisionLatencyMs.p95, baseline.report.decisionLatencyMs.p95),
      },
      durationMs: {
        baseline: baseline.report.durationMs,
        notificationDown: storm.report.durationMs,
        ratio: ratio(storm.report.durationMs, baseline.report.durationMs),
      },
    },
  };
  writeReliabilityReport(report);
  assert.deepEqual(storm.problems, []);
  assert.deepEqual(baseline.problems, []);
  assert.deepEqual(emailProblems, []);
});

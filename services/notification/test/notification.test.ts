import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { Registry } from 'prom-client';
import { createLogger } from '../../../lib/logger.js';
import { NOTIFICATION_JOBS, QUEUES, type BookingNotificationData, type NotificationJobName } from '../../../lib/queues.js';
import { assertError } from '../../../test/support/assertions.js';
import { registerFan, startTestPlatform, type TestPlatform } from '../../../test/support/test-platform.js';
import { escapeHtml } from '../email.renderer.js';
import { createEmailRepository, idempotencyKey } from '../email.repository.js';
import type { MailTransport, OutgoingMail } from '../mail.transport.js';
import { createNotificationMetrics } from '../notification.metrics.js';
import { enqueueBookingNotification, notificationJobOptions } from '../../../lib/notification-jobs.js';
import { createNotificationService } from '../notification.service.js';
import { assertHandlersCover, createNotificationWorker, notificationHandlers } from '../notification.worker.js';

const { bookingConfirmed: CONFIRMED, bookingCancelled: CANCELLED } = NOTIFICATION_JOBS;

let platform: TestPlatform;
let db: mongoose.Connection;
let redis: Redis;
let queue: Queue;

before(async () => {
  platform = await startTestPlatform('notification', { only: ['auth', 'notification', 'gateway', 'concert', 'booking', 'waiting-room'] });
  db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  redis = new Redis(platform.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(QUEUES.notifications.name, { connection: redis, prefix: QUEUES.notifications.prefix });
});
after(async () => {
  await queue?.close();
  await redis?.quit();
  await db?.close();
  await platform?.stop();
});

type Fan = Awaited<ReturnType<typeof registerFan>>;

/** The fields of the service's JSON log lines that the tests read. */
interface LogEntry {
  msg: string;
  level: number;
  to?: string;
  subject?: string;
  event?: string;
}

const newBookingId = () => new mongoose.Types.ObjectId().toHexString();

function bookingData(fan: Fan, overrides: Partial<BookingNotificationData> = {}): BookingNotificationData {
  return {
    bookingId: newBookingId(),
    ticketRef: randomBytes(16).toString('base64url'),
    userId: fan.id,
    userEmail: fan.email,
    concertId: new mongoose.Types.ObjectId().toHexString(),
    concertName: 'Nina & the <Tigers>',
    venue: `O'Brien "Hall"`,
    startsAt: '2031-06-14T20:00:00.000Z',
    seatTypeId: new mongoose.Types.ObjectId().toHexString(),
    seatTypeName: 'Front <Row>',
    price: 79.5,
    currency: 'GBP',
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

/** Polls until `check` returns something truthy; fails with `what` after the deadline. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function inbox(fan: Fan, query = '?limit=100') {
  const res = await platform.api.get(`/api/v1/notifications${query}`, fan.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Array<{ id: string; event: string; bookingId: string; to: string; subject: string; text: string; html: string; sentAt: string }>;
}

const inboxWith = (fan: Fan, count: number) =>
  eventually(`${count} emails for ${fan.email}`, async () => {
    const emails = await inbox(fan);
    return emails.length >= count ? emails : undefined;
  });

const finished = (job: Job) =>
  eventually(`job ${job.id} finished`, async () => {
    const state = await queue.getJobState(job.id!);
    return state === 'completed' || state === 'failed' ? state : undefined;
  });

describe('notification emails through the queue and the API', () => {
  test('booking then cancelling yields exactly two emails for the fan, newest first, with the right content', async () => {
    const fan = await registerFan(platform.api, 'mailbox');
    const data = bookingData(fan);
    await enqueueBookingNotification(queue, CONFIRMED, data);
    await inboxWith(fan, 1);
    await enqueueBookingNotification(queue, CANCELLED, { ...data, occurredAt: new Date().toISOString() });
    const emails = await inboxWith(fan, 2);

    assert.equal(emails.length, 2);
    assert.deepEqual(
      emails.map((e) => e.event),
      [CANCELLED, CONFIRMED],
    );
    assert.ok(emails[0].sentAt >= emails[1].sentAt);
    assert.match(emails[1].subject, /confirmed/);
    assert.match(emails[0].subject, /cancelled/);
    for (const email of emails) {
      assert.deepEqual(Object.keys(email).sort(), ['bookingId', 'event', 'html', 'id', 'sentAt', 'subject', 'text', 'to']);
      assert.equal(email.to, fan.email);
      assert.equal(email.bookingId, data.bookingId);
      assert.ok(email.subject.includes(data.concertName));
      for (const value of [data.concertName, data.venue, data.seatTypeName, '£79.50', data.ticketRef, 'Saturday, 14 June 2031', '20:00 UTC']) {
        assert.ok(email.text.includes(value), `text lacks ${value}:\n${email.text}`);
        assert.ok(email.html.includes(escapeHtml(value)), `html lacks ${escapeHtml(value)}:\n${email.html}`);
      }
      // The entrance is shown the ticket reference; the guessable booking id stays out (issue 18).
      assert.ok(!email.text.includes(data.bookingId) && !email.html.includes(data.bookingId), 'the email names the booking id');
      // Values are escaped in HTML, never injected as markup.
      assert.ok(!email.html.includes('<Tigers>') && !email.html.includes('<Row>'));
      assert.ok(email.html.includes('&lt;Tigers&gt;') && email.html.includes('O&#39;Brien &quot;Hall&quot;'));
    }
    assert.equal(await db.collection('emails').countDocuments({ bookingId: data.bookingId }), 2);

    // One info log line per email, with who, what and which booking.
    const log = readFileSync(path.join(platform.outputDir, 'notification.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes(data.bookingId))
      .map((line) => JSON.parse(line) as LogEntry);
    const sent = log.filter((entry) => entry.msg === 'email sent');
    assert.equal(sent.length, 2);
    for (const entry of sent) {
      assert.equal(entry.level, 30);
      assert.equal(entry.to, fan.email);
      assert.ok(entry.subject?.includes(data.concertName));
    }
    assert.deepEqual(sent.map((e) => e.event).sort(), [CANCELLED, CONFIRMED]);
  });

  test('the same booking event delivered many times (other job ids, and the same job id) yields one email', async () => {
    const fan = await registerFan(platform.api, 'dup');
    const data = bookingData(fan);
    // Different job ids at once: they race through the worker's concurrency.
    const copies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => queue.add(CONFIRMED, data, { ...notificationJobOptions, jobId: `dup-${i}-${data.bookingId}` })),
    );
    const sameIdA = await enqueueBookingNotification(queue, CONFIRMED, data);
    const sameIdB = await enqueueBookingNotification(queue, CONFIRMED, data);
    assert.equal(sameIdA.id, sameIdB.id);

    const jobs = [...copies, sameIdA];
    assert.deepEqual(
      await Promise.all(jobs.map(finished)),
      jobs.map(() => 'completed'),
    );
    const results = await Promise.all(jobs.map(async (j): Promise<unknown> => (await queue.getJob(j.id!))!.returnvalue));
    assert.equal(results.filter((r) => r === 'sent').length, 1, JSON.stringify(results));
    assert.equal(results.filter((r) => r === 'duplicate').length, jobs.length - 1);

    const emails = await inbox(fan);
    assert.equal(emails.length, 1);
    assert.equal(emails[0].bookingId, data.bookingId);
    assert.equal(await db.collection('emails').countDocuments({ idempotencyKey: idempotencyKey(CONFIRMED, data.bookingId) }), 1);
  });

  test('with the notification service stopped jobs pile up; once it starts again every pending email is sent', async () => {
    const fan = await registerFan(platform.api, 'paused');
    const bookings = Array.from({ length: 6 }, () => bookingData(fan));
    await platform.services.get('notification')!.stop();
    try {
      for (const data of bookings) await enqueueBookingNotification(queue, CONFIRMED, data);
      await enqueueBookingNotification(queue, CANCELLED, bookings[0]);
      assert.ok((await queue.getWaitingCount()) >= bookings.length + 1);
      assert.equal(await db.collection('emails').countDocuments({ userId: fan.id }), 0);
    } finally {
      await platform.startService('notification');
    }
    const emails = await inboxWith(fan, bookings.length + 1);
    assert.equal(emails.length, bookings.length + 1);
    assert.deepEqual(new Set(emails.map((e) => e.bookingId)), new Set(bookings.map((b) => b.bookingId)));
    assert.equal(emails.filter((e) => e.event === CANCELLED).length, 1);
  });

  test('the list is paginated and newest first', async () => {
    const fan = await registerFan(platform.api, 'pages');
    const bookings = [bookingData(fan), bookingData(fan), bookingData(fan)];
    for (const [i, data] of bookings.entries()) {
      await enqueueBookingNotification(queue, CONFIRMED, data);
      await inboxWith(fan, i + 1);
    }
    const newestFirst = bookings.map((b) => b.bookingId).reverse();
    assert.deepEqual(
      (await inbox(fan)).map((e) => e.bookingId),
      newestFirst,
    );
    assert.deepEqual(
      (await inbox(fan, '?limit=1&offset=1')).map((e) => e.bookingId),
      [newestFirst[1]],
    );
    assert.deepEqual(await inbox(fan, '?offset=3'), []);
    for (const bad of ['?limit=0', '?limit=101', '?offset=-1', '?limit=abc', '?userId=someone-else']) {
      assertError(await platform.api.get(`/api/v1/notifications${bad}`, fan.accessToken), 400, 'validation_failed');
    }
  });

  test("another fan cannot see a fan's emails; no token → 401 in the error shape", async () => {
    const owner = await registerFan(platform.api, 'owner');
    const other = await registerFan(platform.api, 'other');
    await enqueueBookingNotification(queue, CONFIRMED, bookingData(owner));
    await inboxWith(owner, 1);
    assert.deepEqual(await inbox(other), []);
    assertError(await platform.api.get('/api/v1/notifications'), 401, 'unauthorized');
    assertError(await platform.api.get('/api/v1/notifications', 'not.a.token'), 401, 'unauthorized');
  });

  test('an unknown job name or a malformed payload fails loudly: failed set with the reason, no retry, no email', async () => {
    const fan = await registerFan(platform.api, 'broken');
    const unknown = await queue.add('booking.refunded', bookingData(fan), { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const malformed = await queue.add(
      CONFIRMED,
      { ...bookingData(fan), userEmail: 'not-an-email', price: -1 },
      {
        attempts: 5,
        backoff: { type: 'fixed', delay: 10 },
      },
    );
    assert.equal(await finished(unknown), 'failed');
    assert.equal(await finished(malformed), 'failed');
    const [unknownJob, malformedJob] = await Promise.all([queue.getJob(unknown.id!), queue.getJob(malformed.id!)]);
    assert.match(unknownJob!.failedReason, /no handler for job name "booking\.refunded"/);
    assert.equal(unknownJob!.attemptsMade, 1);
    assert.match(malformedJob!.failedReason, /invalid booking\.confirmed payload: .*userEmail.*price/);
    assert.equal(malformedJob!.attemptsMade, 1);
    assert.equal(await db.collection('emails').countDocuments({ userId: fan.id }), 0);

    const metrics = await (await fetch(`${platform.serviceUrl('notification')}/metrics`)).text();
    const sample = (event: string, result: string) =>
      Number(new RegExp(`^notification_emails_total\\{[^}]*event="${event.replace('.', '\\.')}",result="${result}"[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1]);
    assert.ok(sample('unknown', 'exhausted') >= 1, metrics);
    assert.ok(sample(CONFIRMED, 'exhausted') >= 1);
    assert.ok(sample(CONFIRMED, 'sent') >= 1);
    assert.equal(sample(CANCELLED, 'failed'), 0);
  });
});

describe('the outbox against a real MongoDB-wire server, with a transport we control', () => {
  let conn: mongoose.Connection;
  before(async () => {
    conn = (await mongoose.createConnection(platform.mongoUrl).asPromise()).useDb('notification-outbox-test');
  });
  after(async () => {
    await conn?.close();
  });

  function outbox(transport: MailTransport, sendLeaseMs: number) {
    const emails = createEmailRepository(conn);
    const service = createNotificationService({
      emails,
      transport,
      metrics: createNotificationMetrics(new Registry()),
      logger: createLogger('notification-test', 'silent'),
      sender: { from: 'On-sale <tickets@onsale.test>', domain: 'onsale.test' },
      sendLeaseMs,
    });
    return { emails, service };
  }
  const fakeFan = (): Fan => ({ id: newBookingId(), email: 'outbox@test.local', password: '', accessToken: '', refreshToken: '' });
  const records = (event: NotificationJobName, bookingId: string) =>
    conn
      .collection('emails')
      .find({ idempotencyKey: idempotencyKey(event, bookingId) })
      .toArray();

  test('a send that fails is retried and the email is sent once, with a stable Message-ID', async () => {
    const sent: OutgoingMail[] = [];
    let failNext = true;
    const transport: MailTransport = {
      kind: 'fake',
      send(mail) {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('421 try again later'));
        }
        sent.push(mail);
        return Promise.resolve({ messageId: mail.messageId });
      },
      close() {},
    };
    const { emails, service } = outbox(transport, 60_000);
    await emails.ensureIndexes();
    const data = bookingData(fakeFan());
    await assert.rejects(service.deliver(CONFIRMED, data), /421/);
    // The failed attempt released its lease, so the retry need not wait for it.
    assert.deepEqual(await service.deliver(CONFIRMED, data), { kind: 'sent' });
    assert.deepEqual(await service.deliver(CONFIRMED, data), { kind: 'duplicate' });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].messageId, `<${CONFIRMED}.${data.bookingId}@onsale.test>`);
    const stored = await records(CONFIRMED, data.bookingId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].status, 'sent');
    assert.equal(stored[0].attempts, 2);
  });

  test('a live attempt is waited for, not doubled; one that died mid-send is taken over when its lease expires', async () => {
    const sent: OutgoingMail[] = [];
    let hangNext = true;
    const transport: MailTransport = {
      kind: 'fake',
      send(mail) {
        if (hangNext) {
          hangNext = false;
          // The first attempt's process "dies" here: its send never completes.
          return new Promise(() => {});
        }
        sent.push(mail);
        return Promise.resolve({ messageId: mail.messageId });
      },
      close() {},
    };
    const leaseMs = 1500;
    const { service } = outbox(transport, leaseMs);
    const data = bookingData(fakeFan());
    void service.deliver(CANCELLED, data);
    await eventually('the first attempt claimed the email', async () => (await records(CANCELLED, data.bookingId)).length === 1);

    const busy = await service.deliver(CANCELLED, data);
    assert.equal(busy.kind, 'busy');
    assert.equal(sent.length, 0);

    const outcome = await eventually('the lease to expire and the email to be taken over', async () => {
      const next = await service.deliver(CANCELLED, data);
      return next.kind === 'busy' ? undefined : next;
    });
    assert.deepEqual(outcome, { kind: 'sent' });
    assert.equal(sent.length, 1);
    const stored = await records(CANCELLED, data.bookingId);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].status, 'sent');
  });

  test('a duplicate job that finds the email mid-send waits for it (without spending an attempt) instead of sending again', async () => {
    const sent: OutgoingMail[] = [];
    const transport: MailTransport = {
      kind: 'slow',
      async send(mail) {
        await new Promise((r) => setTimeout(r, 400));
        sent.push(mail);
        return { messageId: mail.messageId };
      },
      close() {},
    };
    const { emails, service } = outbox(transport, 60_000);
    await emails.ensureIndexes();
    // A queue of our own, so the running notification service does not take these jobs.
    const testQueue = { name: 'notifications-outbox-test', prefix: '{notifications-outbox-test}' };
    const connection = new Redis(platform.redisUrl, { maxRetriesPerRequest: null });
    const producer = new Queue(testQueue.name, { connection, prefix: testQueue.prefix });
    const metrics = createNotificationMetrics(new Registry());
    const worker = createNotificationWorker({
      handlers: notificationHandlers(service),
      connection,
      concurrency: 5,
      metrics,
      logger: createLogger('notification-test', 'silent'),
      queue: testQueue,
    });
    try {
      const data = bookingData(fakeFan());
      const jobs = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.add(CONFIRMED, data, { attempts: 1, jobId: `race-${i}-${data.bookingId}` })));
      void worker.run();
      const done = await eventually('every racing job completed', async () => {
        const all = await Promise.all(jobs.map((j) => producer.getJob(j.id!)));
        return all.every((j) => j?.finishedOn) ? all : undefined;
      });
      assert.deepEqual(
        done.map((j) => j!.failedReason ?? null),
        jobs.map(() => null),
      );
      assert.deepEqual(done.map((j): unknown => j!.returnvalue).sort(), ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'sent']);
      assert.equal(sent.length, 1);
    } finally {
      await worker.close();
      await producer.obliterate({ force: true });
      await producer.close();
      await connection.quit();
    }
  });

  test('the worker refuses to start unless every job name has a handler', () => {
    const handler = () => Promise.resolve({ kind: 'sent' as const });
    assert.throws(() => assertHandlersCover({ [CONFIRMED]: handler }), /no handler for job name\(s\): booking\.cancelled/);
    assert.throws(() => assertHandlersCover({ [CONFIRMED]: handler, [CANCELLED]: handler }), /no handler for job name\(s\): waiting-list\.offer/);
    assert.doesNotThrow(() => assertHandlersCover({ [CONFIRMED]: handler, [CANCELLED]: handler, [NOTIFICATION_JOBS.waitingListOffer]: handler }));
  });
});

describe('the waiting-list offer email', () => {
  test('names the concert, the seat type and until when the seat is held, and carries no ticket reference', async () => {
    const { renderBookingEmail } = await import('../email.renderer.js');
    const email = renderBookingEmail(
      NOTIFICATION_JOBS.waitingListOffer,
      {
        bookingId: 'offer-5f1c0a9e4b7d-17',
        userId: 'u1',
        userEmail: 'fan@example.test',
        concertId: 'c1',
        concertName: 'Night <One>',
        venue: 'Hall',
        startsAt: '2031-06-20T19:30:00.000Z',
        seatTypeId: 's1',
        seatTypeName: 'Floor',
        price: 120,
        occurredAt: '2031-06-03T18:40:05.004Z',
        expiresAt: '2031-06-03T18:50:05.004Z',
      },
      { from: 'tickets@onsale.test', domain: 'onsale.test' },
    );
    assert.equal(email.subject, 'A seat for Night <One> is held for you');
    assert.match(email.text, /Held for you until: +Tuesday, 3 June 2031 at 18:50 UTC/);
    assert.doesNotMatch(email.text, /Ticket reference/);
    assert.match(email.html, /Night &lt;One&gt;|Floor/);
    assert.equal(email.messageId, '<waiting-list.offer.offer-5f1c0a9e4b7d-17@onsale.test>');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io as connect, type Socket } from 'socket.io-client';
import type { ManagedProcess } from '../../scripts/stack/processes.js';
import type { QueuedBooking } from '../support/api-types.js';
import { finalAnswerOf, tally, type FinalAnswer } from '../support/bookings.js';
import { adminToken, createConcert, mintFans, type Fan } from '../support/fans.js';
import { checkInvariants } from '../support/invariants.js';
import { ApiClient, startTestPlatform, type TestPlatform } from '../support/test-platform.js';

// Two booking workers and two Socket.IO-serving booking nodes on one Redis:
// what `docker compose up --scale` gives, proven without Docker.
let platform: TestPlatform;
let admin: string;
let nodeA: string;
let nodeB: string;
let workerUrls: string[];
const sockets: Socket[] = [];

const urlOf = (proc: ManagedProcess) => `http://127.0.0.1:${proc.env.PORT}`;

before(async () => {
  platform = await startTestPlatform('several-nodes');
  const [secondNode, secondWorker] = await Promise.all([
    platform.startService('booking', {}, 'booking-2'),
    platform.startService('booking-worker', {}, 'booking-worker-2'),
  ]);
  nodeA = platform.serviceUrl('booking');
  nodeB = urlOf(secondNode);
  workerUrls = [platform.serviceUrl('booking-worker'), urlOf(secondWorker)];
  admin = await adminToken(platform);
});

after(async () => {
  for (const s of sockets) s.close();
  await platform?.stop();
});

async function openSocket(nodeUrl: string, fan: Fan): Promise<Socket> {
  const socket = connect(nodeUrl, { path: '/socket.io', auth: { token: fan.token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Collects booking:result events on `socket`; the returned function awaits the one for a request id. */
function collectResults(socket: Socket, timeoutMs = 60_000) {
  const results = new Map<string, FinalAnswer>();
  const waiters = new Map<string, (a: FinalAnswer) => void>();
  socket.on('booking:result', (r: { requestId: string; status: 'confirmed' | 'rejected'; reason?: string; booking?: { id: string } }) => {
    const answer = { requestId: r.requestId, status: r.status, reason: r.reason, bookingId: r.booking?.id };
    results.set(r.requestId, answer);
    waiters.get(r.requestId)?.(answer);
  });
  return (requestId: string) =>
    results.get(requestId) ??
    new Promise<FinalAnswer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no booking:result for ${requestId} within ${timeoutMs} ms`)), timeoutMs);
      waiters.set(requestId, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
}

/** Decisions a worker counted; it counts just after publishing, so callers poll. */
async function decidedBy(workerUrl: string): Promise<number> {
  const text = await (await fetch(`${workerUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('bookings_decided_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not true after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Submits through `api` without waiting; a 202 is answered later on the socket, a 409 is already final. */
async function submit(api: ApiClient, fan: Fan, concertId: string, seatTypeId: string, awaitResult: (requestId: string) => FinalAnswer | Promise<FinalAnswer>) {
  const res = await api.post('/api/v1/bookings', { concertId, seatTypeId }, fan.token);
  if (res.status === 409) return { answer: finalAnswerOf(res), queued: false };
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return { answer: await awaitResult((res.body as QueuedBooking).requestId), queued: true };
}

describe('several booking workers and several Socket.IO nodes', () => {
  test('fans connected to node A get booking:result for submissions made through node B, decided by either worker', async (t) => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Hall', capacity: 90 }] });
    const fans = mintFans(platform, 150);
    const before = await Promise.all(workerUrls.map(decidedBy));
    const viaB = new ApiClient(nodeB);

    const onA = await Promise.all(fans.map((fan) => openSocket(nodeA, fan)));
    const outcomes = await Promise.all(fans.map((fan, i) => submit(viaB, fan, concert.id, concert.seatTypes[0].id, collectResults(onA[i]))));
    assert.deepEqual(tally(outcomes.map((o) => o.answer)), { confirmed: 90, 'rejected:sold_out': 60 });
    const queued = outcomes.filter((o) => o.queued).length;
    assert.ok(queued >= 90, `at least every confirmed fan went through the queue (${queued})`);
    const decided = async () => (await Promise.all(workerUrls.map(decidedBy))).reduce((sum, n, i) => sum + n - before[i], 0);
    await eventually(`the two workers together decided the ${queued} queued requests`, async () => (await decided()) === queued);
    const split = (await Promise.all(workerUrls.map(decidedBy))).map((n, i) => n - before[i]);
    t.diagnostic(`queued ${queued} of 150; decided by worker 1: ${split[0]}, worker 2: ${split[1]}`);
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.deepEqual(report.confirmed, { Hall: 90 });
  });

  test('with the first worker stopped, the second copy decides and the result still reaches the other node', async () => {
    const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Club', capacity: 5 }] });
    const fans = mintFans(platform, 8);
    await platform.services.get('booking-worker')!.stop();
    try {
      const second = await decidedBy(workerUrls[1]);
      const viaA = new ApiClient(nodeA);
      const viaB = new ApiClient(nodeB);
      // Half listen on B and submit through A, half the other way round.
      const outcomes = await Promise.all(
        fans.map(async (fan, i) => {
          const awaitResult = collectResults(await openSocket(i % 2 ? nodeA : nodeB, fan));
          return submit(i % 2 ? viaB : viaA, fan, concert.id, concert.seatTypes[0].id, awaitResult);
        }),
      );
      assert.deepEqual(tally(outcomes.map((o) => o.answer)), { confirmed: 5, 'rejected:sold_out': 3 });
      const queued = outcomes.filter((o) => o.queued).length;
      await eventually('the second worker decided every queued request', async () => (await decidedBy(workerUrls[1])) - second === queued);
    } finally {
      await platform.startService('booking-worker');
    }
    await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
  });
});

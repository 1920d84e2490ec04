import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Types } from 'mongoose';
import type { Decision } from '../../lib/booking-requests.js';
import { createLogger } from '../../lib/logger.js';
import type { ReserveJobData } from '../../lib/queues.js';
import type { BookingDoc } from '../../lib/records/booking.record.js';
import { createBookingDecider, RecordUnreadableError, type DecisionDeps } from './booking-decision.js';

const requestId = new Types.ObjectId().toHexString();
const data: ReserveJobData = {
  requestId,
  concertId: new Types.ObjectId().toHexString(),
  seatTypeId: new Types.ObjectId().toHexString(),
  userId: new Types.ObjectId().toHexString(),
  userEmail: 'fan@test.local',
  submittedAt: Date.now(),
};

/** The booking an earlier attempt of the request recorded. */
const doc = {
  _id: new Types.ObjectId(requestId),
  concertId: data.concertId,
  seatTypeId: data.seatTypeId,
  seatTypeName: 'Floor',
  seatNo: 7,
  price: 10,
  userId: data.userId,
  userEmail: data.userEmail,
  status: 'confirmed',
  createdAt: new Date(),
} as BookingDoc;

/** A decider whose Redis side only records what giving up does to it. */
function deciderWithSpies() {
  const released: string[] = [];
  const published: Decision[] = [];
  const deps = {
    inventory: { release: (_c: string, _s: string, _u: string, id: string) => Promise.resolve(void released.push(id)) },
    publisher: {
      publish: (_userId: string, decision: Decision) => Promise.resolve(void published.push(decision)),
      published: () => Promise.resolve(undefined),
    },
    logger: createLogger('booking-decision-test', 'silent'),
  } as unknown as DecisionDeps;
  return { decider: createBookingDecider(deps), released, published };
}

test('giving up while the record cannot be read decides nothing: no seat released, no answer', async () => {
  const { decider, released, published } = deciderWithSpies();
  await assert.rejects(
    decider.giveUp(data, () => Promise.reject(new Error('connect ECONNREFUSED'))),
    RecordUnreadableError,
  );
  assert.deepEqual(released, []);
  assert.deepEqual(published, []);
});

test('giving up with the booking in the record confirms it; without it, releases the seat and says service_unavailable', async () => {
  const booked = deciderWithSpies();
  assert.equal((await booked.decider.giveUp(data, () => Promise.resolve(doc))).status, 'confirmed');
  assert.deepEqual(booked.released, []);

  const notBooked = deciderWithSpies();
  assert.deepEqual(await notBooked.decider.giveUp(data, () => Promise.resolve(null)), { requestId, status: 'rejected', reason: 'service_unavailable' });
  assert.deepEqual(notBooked.released, [requestId]);
  assert.equal(notBooked.published.length, 1);
});

test('a repeated job whose request is already confirmed queues the confirmation email again and does not answer again', async () => {
  const earlier: Decision = { requestId, status: 'confirmed' };
  const emails: Array<{ name: string; data: { bookingId: string } }> = [];
  const published: Decision[] = [];
  const decider = createBookingDecider({
    publisher: { publish: (_u: string, d: Decision) => Promise.resolve(void published.push(d)), published: () => Promise.resolve(earlier) },
    recorder: { find: () => Promise.resolve(doc) },
    concerts: { get: () => Promise.resolve({ name: 'Night', venue: 'Hall', startsAt: new Date(Date.now() + 3_600_000) }) },
    notifications: { add: (name: string, jobData: { bookingId: string }) => Promise.resolve(void emails.push({ name, data: jobData })) },
    logger: createLogger('booking-decision-test', 'silent'),
  } as unknown as DecisionDeps);

  assert.equal(await decider.decide(data, { mayRepeat: true }), earlier);
  assert.deepEqual(
    emails.map((e) => [e.name, e.data.bookingId]),
    [['booking.confirmed', requestId]],
  );
  assert.deepEqual(published, [], 'the fan was told once, by the first run');
});

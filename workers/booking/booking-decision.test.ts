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

/** A decider whose Redis and record sides only record what giving up does to them. */
function deciderWithSpies(find: () => Promise<BookingDoc | null>) {
  const released: string[] = [];
  const published: Decision[] = [];
  const recorded: string[] = [];
  const deps = {
    inventory: { release: (_c: string, _s: string, _u: string, id: string) => Promise.resolve(void released.push(id)) },
    recorder: { find, record: (d: { status: string }) => Promise.resolve(void recorded.push(d.status)).then(() => 'recorded') },
    publisher: { publish: (_userId: string, decision: Decision) => void published.push(decision) },
    logger: createLogger('booking-decision-test', 'silent'),
  } as unknown as DecisionDeps;
  return { decider: createBookingDecider(deps), released, published, recorded };
}

test('giving up while the record cannot be read decides nothing: no seat released, no answer', async () => {
  const { decider, released, published, recorded } = deciderWithSpies(() => Promise.reject(new Error('connect ECONNREFUSED')));
  await assert.rejects(decider.giveUp(data), RecordUnreadableError);
  assert.deepEqual(released, []);
  assert.deepEqual(published, []);
  assert.deepEqual(recorded, []);
});

test('giving up with the booking in the record confirms it; without it, releases the seat and records service_unavailable', async () => {
  const booked = deciderWithSpies(() => Promise.resolve(doc));
  assert.equal((await booked.decider.giveUp(data)).status, 'confirmed');
  assert.deepEqual(booked.released, []);

  const notBooked = deciderWithSpies(() => Promise.resolve(null));
  assert.deepEqual(await notBooked.decider.giveUp(data), { requestId, status: 'rejected', reason: 'service_unavailable' });
  assert.deepEqual(notBooked.released, [requestId]);
  assert.deepEqual(notBooked.recorded, ['rejected']);
  assert.equal(notBooked.published.length, 1);
});

test('a repeated job whose request is already confirmed queues the confirmation email again and does not answer again', async () => {
  const emails: Array<{ name: string; data: { bookingId: string } }> = [];
  const published: Decision[] = [];
  const decider = createBookingDecider({
    inventory: { settle: () => Promise.resolve(0) },
    publisher: { publish: (_u: string, d: Decision) => void published.push(d) },
    recorder: { find: () => Promise.resolve(doc) },
    concerts: { get: () => Promise.resolve({ name: 'Night', venue: 'Hall', startsAt: new Date(Date.now() + 3_600_000) }) },
    notifications: { add: (name: string, jobData: { bookingId: string }) => Promise.resolve(void emails.push({ name, data: jobData })) },
    logger: createLogger('booking-decision-test', 'silent'),
  } as unknown as DecisionDeps);

  const answer = await decider.decide(data, { mayRepeat: true });
  assert.equal(answer.status, 'confirmed');
  assert.equal(answer.booking?.id, requestId);
  assert.deepEqual(
    emails.map((e) => [e.name, e.data.bookingId]),
    [['booking.confirmed', requestId]],
  );
  assert.deepEqual(published, [], 'the fan was told once, by the first run');
});

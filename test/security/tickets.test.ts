/**
 * Issue 18, guessable tickets: booking ids are consecutive ObjectIds, so what a
 * fan shows at the entrance is an unguessable ticket reference instead (≥128
 * random bits, made by the worker with the booking), and a booking that is not
 * the caller's answers exactly like one that does not exist (no 403/404 oracle).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import type { Booking, BookingRequestStatus, Email } from '../support/api-types.js';
import { adminToken, createConcert, mintFans, type Fan } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let platform: TestPlatform;
let admin: string;
let fans: Fan[];
let bookings: Booking[];

const BOOKINGS = 20;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Random bytes a ticket reference stands for (0 when it is not plain base64url). */
function randomBytesOf(ref: unknown): number {
  if (typeof ref !== 'string' || !BASE64URL.test(ref)) return 0;
  const bytes = Buffer.from(ref, 'base64url');
  return bytes.toString('base64url') === ref ? bytes.length : 0;
}

/** The raw answer, for byte-for-byte comparison (the request id header aside). */
async function raw(method: 'GET' | 'DELETE', path: string, token: string) {
  const res = await fetch(`${platform.gatewayUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}

before(async () => {
  platform = await startTestPlatform('security-tickets', { env: { BOOKING_SUBMIT_LIMIT: '100000' } });
  admin = await adminToken(platform);
  const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: BOOKINGS }] });
  fans = mintFans(platform, BOOKINGS + 1);
  bookings = await Promise.all(
    fans.slice(0, BOOKINGS).map(async (fan) => {
      const res = await platform.api.request<Booking>('POST', '/api/v1/bookings', {
        token: fan.token,
        body: { concertId: concert.id, seatTypeId: concert.seatTypes[0].id },
        headers: { prefer: 'wait=30' },
      });
      if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    }),
  );
});
after(async () => {
  await platform?.stop();
});

describe('ticket references (issue 18)', () => {
  test('1,000 ticket references are distinct and each is at least 16 random bytes; real bookings carry one', async () => {
    const record = (await import('../../lib/records/booking.record.js')) as { newTicketRef?: () => string };
    assert.equal(typeof record.newTicketRef, 'function', 'lib/records/booking.record.ts makes no ticket references (newTicketRef)');
    const refs = Array.from({ length: 1000 }, () => record.newTicketRef!());
    assert.equal(new Set(refs).size, refs.length, 'two ticket references are equal');
    for (const ref of refs) assert.ok(randomBytesOf(ref) >= 16, `ticket reference ${ref} is not ≥16 bytes of base64url`);

    for (const booking of bookings) {
      assert.ok(randomBytesOf(booking.ticketRef) >= 16, `booking ${booking.id} has no ≥16-byte ticket reference: ${JSON.stringify(booking)}`);
      assert.notEqual(booking.ticketRef, booking.id);
      assert.ok(!booking.ticketRef.toLowerCase().includes(booking.id.toLowerCase()), 'the ticket reference contains the booking id');
    }
    assert.equal(new Set(bookings.map((b) => b.ticketRef)).size, bookings.length, 'two bookings share a ticket reference');
  });

  test('every public booking names the same ticket reference: GET, my-bookings, the request status, the admin', async () => {
    const [booking, fan] = [bookings[0], fans[0]];
    assert.ok(randomBytesOf(booking.ticketRef) >= 16, `the booking answered has no ticket reference: ${JSON.stringify(booking)}`);
    const one = await platform.api.get<Booking>(`/api/v1/bookings/${booking.id}`, fan.token);
    assert.equal(one.status, 200);
    assert.equal(one.body.ticketRef, booking.ticketRef);
    const mine = await platform.api.get<Booking[]>('/api/v1/bookings/my-bookings', fan.token);
    assert.deepEqual(
      mine.body.map((b) => b.ticketRef),
      [booking.ticketRef],
    );
    const status = await platform.api.get<BookingRequestStatus>(`/api/v1/bookings/requests/${booking.id}`, fan.token);
    assert.equal(status.body.booking?.ticketRef, booking.ticketRef);
    const asAdmin = await platform.api.get<Booking>(`/api/v1/bookings/${booking.id}`, admin);
    assert.equal(asAdmin.status, 200, 'admins still see every booking');
    assert.equal(asAdmin.body.ticketRef, booking.ticketRef);
  });

  test('the confirmation email names the ticket reference, not the booking id', async () => {
    const [booking, fan] = [bookings[1], fans[1]];
    const until = Date.now() + 30_000;
    let email: Email | undefined;
    while (!(email = (await platform.api.get<Email[]>('/api/v1/notifications', fan.token)).body.find((e) => e.event === 'booking.confirmed'))) {
      if (Date.now() > until) throw new Error('the confirmation email never arrived');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const body of [email.text, email.html]) {
      assert.ok(body.includes(booking.ticketRef), `the email does not name the ticket reference ${booking.ticketRef}:\n${body}`);
      assert.ok(!body.toLowerCase().includes(booking.id.toLowerCase()), `the email names the booking id ${booking.id}:\n${body}`);
      assert.match(body, /show the ticket reference at the entrance/i);
    }
  });

  test("another fan's GET and DELETE of a real booking answer byte for byte like those of a booking that does not exist", async () => {
    const [booking, stranger] = [bookings[2], fans[BOOKINGS]];
    const nonexistent = new Types.ObjectId().toHexString();
    for (const method of ['GET', 'DELETE'] as const) {
      const theirs = await raw(method, `/api/v1/bookings/${booking.id}`, stranger.token);
      const none = await raw(method, `/api/v1/bookings/${nonexistent}`, stranger.token);
      assert.equal(theirs.status, 404, `${method} of another fan's booking: ${theirs.status} ${theirs.body}`);
      assert.deepEqual(theirs, none, `${method}: another fan's booking is told apart from no booking`);
      assert.equal((JSON.parse(theirs.body) as { error: { code: string } }).error.code, 'not_found');
    }
    const still = await platform.api.get<Booking>(`/api/v1/bookings/${booking.id}`, fans[2].token);
    assert.equal(still.body.status, 'confirmed', "another fan's DELETE cancelled the booking");
  });
});

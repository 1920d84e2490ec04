import type { z } from './zod-openapi.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import type {
  bookingRequestStatusResponse,
  bookingResponse,
  concertResponse,
  emailResponse,
  lineStatusResponse,
  profileResponse,
  queuedBookingResponse,
  seatTypeResponse,
  sessionResponse,
  tokenPairResponse,
} from './response.schemas.js';

/*
 * The examples of the OpenAPI document: one per request body and per success answer
 * (api-operations.ts names which), and the error bodies built from the registry. Each
 * `satisfies` the type of its schema, and the contract test parses every example in
 * the document with the zod schema it illustrates.
 */

const ids = {
  user: '6650a1f2c3d4e5f601234567',
  admin: '6650a1f2c3d4e5f601234500',
  concert: '6650b7e1a2b3c4d5e6f70001',
  floor: '6650b7e1a2b3c4d5e6f70011',
  balcony: '6650b7e1a2b3c4d5e6f70012',
  booking: '6650c9d0e1f2a3b4c5d60042',
  request: '6650c9cfe1f2a3b4c5d60041',
};

// Concerts may only be created in the future: the example concert is next summer's.
const year = new Date().getUTCFullYear() + 1;
const startsAt = `${year}-06-20T19:30:00.000Z`;
const opensAt = `${year}-06-01T10:00:00.000Z`;
const createdAt = `${year - 1}-05-24T09:12:44.120Z`;
const bookedAt = `${year}-06-01T10:02:17.532Z`;

/** Example tokens: shaped like the real ones (a JWT, an opaque refresh token), signed by nobody. */
const accessToken = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2NjUwYTFmMmMzZDRlNWY2MDEyMzQ1NjciLCJyb2xlIjoiZmFuIn0.c2lnbmF0dXJlLW9mLWFuLWV4YW1wbGU';
const refreshToken = '6650a1f2c3d4e5f6.Zm9vYmFyLWV4YW1wbGUtcmVmcmVzaC10b2tlbg';

export const exampleUser = {
  id: ids.user,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  role: 'fan',
  createdAt,
} satisfies z.input<typeof sessionResponse>['user'];

export const exampleSession = { user: exampleUser, accessToken, refreshToken } satisfies z.input<typeof sessionResponse>;
export const exampleTokenPair = { accessToken, refreshToken } satisfies z.input<typeof tokenPairResponse>;
export const exampleProfile = { user: exampleUser } satisfies z.input<typeof profileResponse>;

export const exampleSeatType = {
  id: ids.floor,
  name: 'Floor',
  description: 'Standing, in front of the stage',
  price: 120,
  capacity: 500,
  remaining: 137,
} satisfies z.input<typeof seatTypeResponse>;

export const exampleNewSeatType = {
  id: ids.balcony,
  name: 'Balcony',
  description: 'Seated, first floor',
  price: 80,
  capacity: 200,
  remaining: 200,
} satisfies z.input<typeof seatTypeResponse>;

export const exampleConcert = {
  id: ids.concert,
  name: 'The Midnight Orchestra',
  venue: 'Royal Albert Hall, London',
  startsAt,
  status: 'on_sale',
  seatTypes: [exampleSeatType, exampleNewSeatType],
  waitingRoom: { enabled: true, opensAt, admitPerSecond: 50, maxActive: 2000, tokenTtlSeconds: 600 },
} satisfies z.input<typeof concertResponse>;

export const exampleBooking = {
  id: ids.booking,
  concertId: ids.concert,
  seatTypeId: ids.floor,
  seatTypeName: 'Floor',
  seatNo: 364,
  price: 120,
  userId: ids.user,
  status: 'confirmed',
  createdAt: bookedAt,
} satisfies z.input<typeof bookingResponse>;

export const exampleCancelledBooking = {
  ...exampleBooking,
  status: 'cancelled',
  cancelledAt: `${year}-06-03T18:40:05.004Z`,
} satisfies z.input<typeof bookingResponse>;

export const exampleQueuedBooking = { requestId: ids.request, status: 'queued' } satisfies z.input<typeof queuedBookingResponse>;

export const exampleBookingRequestStatus = {
  requestId: ids.request,
  status: 'confirmed',
  booking: exampleBooking,
} satisfies z.input<typeof bookingRequestStatusResponse>;

export const exampleEmail = {
  id: '6650c9d1e1f2a3b4c5d60077',
  event: 'booking.confirmed',
  bookingId: ids.booking,
  to: 'ada@example.com',
  subject: 'Your ticket for The Midnight Orchestra',
  text: 'Hi Ada, your Floor ticket (seat 364) for The Midnight Orchestra is confirmed.',
  html: '<p>Hi Ada, your <b>Floor</b> ticket (seat 364) for The Midnight Orchestra is confirmed.</p>',
  sentAt: `${year}-06-01T10:02:18.101Z`,
} satisfies z.input<typeof emailResponse>;

export const exampleLineStatus = {
  concertId: ids.concert,
  status: 'waiting',
  position: 1842,
  ahead: 1841,
  etaSeconds: 37,
  opensAt,
  serving: 1200,
  waiting: 5310,
  admitPerSecond: 50,
} satisfies z.input<typeof lineStatusResponse>;

export const exampleRequests = {
  register: { email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada Lovelace' },
  login: { email: 'ada@example.com', password: 'correct-horse-battery' },
  refresh: { refreshToken },
  deleteAccount: { password: 'correct-horse-battery' },
  createConcert: {
    name: 'The Midnight Orchestra',
    venue: 'Royal Albert Hall, London',
    startsAt,
    seatTypes: [
      { name: 'Floor', description: 'Standing, in front of the stage', price: 120, capacity: 500 },
      { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 200 },
    ],
    waitingRoom: { enabled: true, opensAt, admitPerSecond: 50, maxActive: 2000, tokenTtlSeconds: 600 },
  },
  seatType: { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 200 },
  submitBooking: { concertId: ids.concert, seatTypeId: ids.floor },
};

/** The message and `details` of the example of codes whose answer says more than the registry's description. */
const ERROR_EXAMPLES: Partial<Record<ErrorCode, { message: string; details?: unknown }>> = {
  validation_failed: { message: 'Invalid request body', details: [{ path: 'body.email', message: 'Invalid email' }] },
};

/** The error body an operation answers with `code`, shaped as the services build it. */
export function exampleError(code: ErrorCode) {
  const { message, details } = ERROR_EXAMPLES[code] ?? { message: ERROR_CODES[code].description };
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

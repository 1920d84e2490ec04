import { z } from '../../lib/openapi/zod-openapi.js';
import type { Decision } from '../../lib/booking-requests.js';
import { BODY_ERRORS, idParam, type ApiOperation } from '../../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes, exampleYear } from '../../lib/openapi/examples.js';
import type { PublicBooking } from '../../lib/records/booking.record.js';
import { pagination } from '../../lib/validation.js';
import { concertBookingsQuery, idempotencyKeyHeader, MAX_WAIT_SECONDS, submitBookingBody } from './booking.schemas.js';
import { CSV_COLUMNS } from './bookings-csv.js';
import type { ConcertBookingsPage } from './concert-bookings.js';

/*
 * The booking service's part of the OpenAPI document (the gateway assembles it): what it
 * answers (each schema `satisfies` the type the service builds), an example of each, and
 * its operations.
 */

export const bookingResponse = z
  .object({
    id: objectId,
    concertId: objectId,
    seatTypeId: objectId,
    seatTypeName: z.string(),
    seatNo: z.number().int().min(1),
    price: z.number(),
    userId: objectId,
    status: z.enum(['confirmed', 'cancelled']),
    ticketRef: z
      .string()
      .regex(/^[A-Za-z0-9_-]{22}$/)
      .openapi({ description: 'What to show at the entrance: 128 random bits, base64url (the booking id is guessable).' }),
    createdAt: isoTime,
    cancelledAt: isoTime.optional(),
  })
  .strict()
  .openapi('Booking') satisfies z.ZodType<PublicBooking>;

export const queuedBookingResponse = z
  .object({ requestId: objectId, status: z.literal('queued') })
  .strict()
  .openapi('QueuedBooking');

const rejectionReason = z.enum([
  'concert_started',
  'sales_closed',
  'seat_type_closed',
  'already_booked',
  'sold_out',
  'not_found',
  'service_unavailable',
  'offer_not_open',
]) satisfies z.ZodType<NonNullable<Decision['reason']>>;

export const bookingRequestStatusResponse = z
  .object({
    requestId: objectId,
    status: z.enum(['queued', 'confirmed', 'rejected']),
    reason: rejectionReason.optional(),
    booking: bookingResponse.optional(),
  })
  .strict()
  .openapi('BookingRequestStatus');

export const concertBookingResponse = z
  .object({ ...bookingResponse.shape, userEmail: z.string() })
  .strict()
  .openapi('ConcertBooking');

export const concertBookingsPageResponse = z
  .object({ items: z.array(concertBookingResponse), nextCursor: objectId.nullable() })
  .strict()
  .openapi('ConcertBookingsPage') satisfies z.ZodType<ConcertBookingsPage>;

/** A booking of the example concert's Floor (lib/openapi/examples.ts names the ids both use). */
export const exampleBooking = {
  id: exampleIds.booking,
  concertId: exampleIds.concert,
  seatTypeId: exampleIds.floor,
  seatTypeName: 'Floor',
  seatNo: 364,
  price: 120,
  userId: exampleIds.user,
  status: 'confirmed',
  ticketRef: 'q7Xo2VnL0c3RmJtYk9pQ1w',
  createdAt: exampleTimes.bookedAt,
} satisfies z.input<typeof bookingResponse>;

export const exampleCancelledBooking = {
  ...exampleBooking,
  status: 'cancelled',
  cancelledAt: `${exampleYear}-06-03T18:40:05.004Z`,
} satisfies z.input<typeof bookingResponse>;

export const exampleQueuedBooking = { requestId: exampleIds.request, status: 'queued' } satisfies z.input<typeof queuedBookingResponse>;

export const exampleBookingRequestStatus = {
  requestId: exampleIds.request,
  status: 'confirmed',
  booking: exampleBooking,
} satisfies z.input<typeof bookingRequestStatusResponse>;

const exampleRequests = {
  submitBooking: { concertId: exampleIds.concert, seatTypeId: exampleIds.floor },
};

const bookingParams = idParam('id', 'Booking');

const exampleConcertBookingsPage = {
  items: [{ ...exampleCancelledBooking, userEmail: 'fan@example.com' }],
  nextCursor: null,
} satisfies z.input<typeof concertBookingsPageResponse>;

const bookingHeaders = z.object({
  prefer: z
    .string()
    .optional()
    .describe(`RFC 7240 \`wait=N\` (N ≤ ${MAX_WAIT_SECONDS}): wait for the decision and answer 201 or the 409 reason instead of 202.`),
  'idempotency-key': idempotencyKeyHeader.describe('A retried submission with the same key returns the first answer.'),
  'x-admission-token': z
    .string()
    .optional()
    .describe('The `admissionToken` the waiting room gave this fan; required when the concert has its waiting room enabled.'),
});

export const BOOKING_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/bookings',
    operationId: 'submitBooking',
    tag: 'bookings',
    summary: 'Ask for one seat',
    description:
      'Queues the request and answers **202 at once**; the decision arrives as the Socket.IO event `booking:result` and at ' +
      '`GET /api/v1/bookings/requests/{requestId}`.\n\n' +
      '- With `Prefer: wait=N` the answer waits for the decision (201 or the 409 reason; 202 if it takes longer than *N* seconds).\n' +
      '- Refusals known without the queue (sold out, already booked, started) answer 409 at once.\n' +
      '- Each fan may submit `BOOKING_SUBMIT_LIMIT` times per `BOOKING_SUBMIT_WINDOW_MS` (20 a minute by default); a retry that gets the ' +
      'stored answer of its `Idempotency-Key` back is not counted.\n\n' +
      'With `offerId` (a waiting-list offer to this fan) the seat held for the fan is booked; no admission token is needed, and an ' +
      'offer that is not open answers 409 `offer_not_open` (at once, or as the decision when it expired meanwhile).',
    access: 'user',
    request: { body: submitBookingBody, bodyExample: exampleRequests.submitBooking, headers: bookingHeaders },
    responses: {
      201: {
        description: 'Confirmed (only with `Prefer: wait`).',
        schema: bookingResponse,
        example: exampleBooking,
        headers: { 'Preference-Applied': 'Echoes `wait=N`.' },
      },
      202: { description: 'Queued.', schema: queuedBookingResponse, example: exampleQueuedBooking, headers: { Location: 'Where to poll the decision.' } },
    },
    errors: [
      ...BODY_ERRORS,
      'unauthorized',
      'token_expired',
      'admission_required',
      'admission_used',
      'not_found',
      'already_booked',
      'sold_out',
      'concert_started',
      'sales_closed',
      'seat_type_closed',
      'idempotency_key_reused',
      'rate_limited',
      'offer_not_open',
    ],
  },
  {
    method: 'get',
    path: '/api/v1/bookings/requests/{requestId}',
    operationId: 'getBookingRequest',
    tag: 'bookings',
    summary: 'The decision on one booking request',
    access: 'user',
    request: { params: idParam('requestId', 'Booking request') },
    responses: {
      200: {
        description: 'Queued, confirmed (with the booking) or rejected (with the reason).',
        schema: bookingRequestStatusResponse,
        example: exampleBookingRequestStatus,
      },
    },
    errors: ['unauthorized', 'token_expired', 'not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/bookings/my-bookings',
    operationId: 'listMyBookings',
    tag: 'bookings',
    summary: "The signed-in fan's bookings, newest first",
    access: 'user',
    request: { query: pagination },
    responses: { 200: { description: 'A page of bookings.', schema: z.array(bookingResponse), example: [exampleBooking, exampleCancelledBooking] } },
    errors: ['unauthorized', 'token_expired', 'validation_failed'],
  },
  {
    method: 'get',
    path: '/api/v1/bookings/{id}',
    operationId: 'getBooking',
    tag: 'bookings',
    summary: 'One booking (its owner or an admin)',
    description: "Someone else's booking answers 404, as if it did not exist.",
    access: 'user',
    request: { params: bookingParams },
    responses: { 200: { description: 'The booking.', schema: bookingResponse, example: exampleBooking } },
    errors: ['unauthorized', 'token_expired', 'not_found'],
  },
  {
    method: 'delete',
    path: '/api/v1/bookings/{id}',
    operationId: 'cancelBooking',
    tag: 'bookings',
    summary: 'Cancel a booking; the seat is free again at once',
    description: "Someone else's booking answers 404, as if it did not exist.",
    access: 'user',
    request: { params: bookingParams },
    responses: { 200: { description: 'The cancelled booking.', schema: bookingResponse, example: exampleCancelledBooking } },
    errors: ['unauthorized', 'token_expired', 'not_found', 'already_cancelled', 'concert_started'],
  },
  {
    method: 'get',
    path: '/api/v1/bookings/by-concert/{concertId}',
    operationId: 'listConcertBookings',
    tag: 'bookings',
    summary: "A concert's bookings for its operator, oldest first (JSON pages or a CSV export)",
    description: [
      "Confirmed and cancelled bookings with the fan's email; `status` and `seatTypeId` filter. A page ends with `nextCursor`: pass it as `cursor` for the next one (null on the last page).",
      '',
      `\`format=csv\` answers every matching booking as a \`text/csv\` attachment (columns ${CSV_COLUMNS.map((c) => `\`${c}\``).join(', ')}), RFC 4180 quoting; a text cell that starts with \`=\`, \`+\`, \`-\`, \`@\`, tab or carriage return gets a leading \`'\` so no spreadsheet runs it as a formula.`,
    ].join('\n'),
    access: 'admin',
    request: { params: idParam('concertId', 'Concert'), query: concertBookingsQuery },
    responses: {
      200: {
        description: 'A page of bookings, or (with `format=csv`) all of them as CSV.',
        schema: concertBookingsPageResponse,
        example: exampleConcertBookingsPage,
        headers: { 'Content-Disposition': 'With `format=csv`: `attachment; filename=bookings-<concertId>.csv`.' },
        alternative: {
          contentType: 'text/csv',
          schema: z.string().openapi({ description: 'A header line, then one line per booking (CRLF line ends).' }),
          example: `${CSV_COLUMNS.join(',')}\r\n${exampleIds.booking},${exampleBooking.ticketRef},confirmed,${exampleIds.floor},Floor,${exampleBooking.seatNo},${exampleBooking.price},${exampleIds.user},fan@example.com,${exampleBooking.createdAt},\r\n`,
        },
      },
    },
    errors: ['unauthorized', 'token_expired', 'forbidden', 'not_found', 'validation_failed'],
  },
];

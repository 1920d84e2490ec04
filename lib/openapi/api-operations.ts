import { z } from './zod-openapi.js';
import type { ErrorCode } from '../errors.js';
import { objectIdString, pagination } from '../validation.js';
import { deleteAccountBody, loginBody, refreshBody, registerBody } from '../../services/auth/auth.schemas.js';
import { createConcertBody, listConcertsQuery, seatTypeBody } from '../../services/concert/concert.schemas.js';
import { idempotencyKeyHeader, MAX_WAIT_SECONDS, submitBookingBody } from '../../services/booking/booking.schemas.js';
import {
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
import {
  exampleBooking,
  exampleBookingRequestStatus,
  exampleCancelledBooking,
  exampleConcert,
  exampleEmail,
  exampleLineStatus,
  exampleNewSeatType,
  exampleProfile,
  exampleQueuedBooking,
  exampleRequests,
  exampleSeatType,
  exampleSession,
  exampleTokenPair,
} from './examples.js';

/**
 * Every public operation the gateway forwards, described with the zod schemas the
 * services validate with (request) and the response schemas of response.schemas.ts.
 * The OpenAPI document is built from this list, and the contract tests check it
 * against the services' Express routers and the error-code registry.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/api/v1/concerts/{id}`. */
  path: string;
  operationId: string;
  tag: 'auth' | 'concerts' | 'bookings' | 'notifications' | 'waiting-room' | 'pages';
  summary: string;
  /** Markdown (paragraphs, lists, `code`, **bold**, *emphasis*, links), as the docs page renders it. */
  description?: string;
  /** Who may call it; `admin` operations are marked `x-required-role: admin` in the document. */
  access: 'anyone' | 'user' | 'admin';
  request?: {
    body?: z.ZodTypeAny;
    /** A valid body, the document's example (required with `body`; the contract test parses it with `body`). */
    bodyExample?: unknown;
    query?: z.AnyZodObject;
    params?: z.AnyZodObject;
    headers?: z.AnyZodObject;
  };
  /**
   * Success answers by status; `schema` absent for an empty body; JSON unless `contentType` says otherwise;
   * `example` required with `schema` (the contract test parses it with `schema`).
   */
  responses: Record<number, { description: string; schema?: z.ZodTypeAny; example?: unknown; contentType?: string; headers?: Record<string, string> }>;
  /** Error codes this operation can answer with, beyond the ones every operation shares. */
  errors: ErrorCode[];
}

/** Codes any operation can answer with: the kernel's and the gateway's. */
export const SHARED_ERRORS: ErrorCode[] = [
  'malformed_request',
  'route_not_found',
  'headers_too_large',
  'internal_error',
  'upstream_unavailable',
  'service_unavailable',
];
/** Codes of any operation that reads a JSON body. */
export const BODY_ERRORS: ErrorCode[] = ['validation_failed', 'malformed_json', 'unsupported_media_type', 'payload_too_large'];

const idParam = (name: string, what: string) => z.object({ [name]: objectIdString.describe(`${what} id (24 hex characters)`) });
const concertParams = idParam('id', 'Concert');
const seatTypeParams = concertParams.merge(idParam('seatTypeId', 'Seat type'));
const bookingParams = idParam('id', 'Booking');

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

/** The beginnings of the two non-JSON answers (the page and the script are served whole). */
const WAITING_ROOM_PAGE_EXAMPLE = '<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8" />\n    <title>Waiting room</title>…';
const SOCKET_CLIENT_EXAMPLE = '/*!\n * Socket.IO v4.8.4\n * (c) 2014-2026 Guillermo Rauch\n * Released under the MIT License.\n */\n!function(t,n){…';

export const API_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/auth/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create a fan account',
    access: 'anyone',
    request: { body: registerBody, bodyExample: exampleRequests.register },
    responses: { 201: { description: 'The new fan, signed in.', schema: sessionResponse, example: exampleSession } },
    errors: [...BODY_ERRORS, 'email_taken'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    description: 'Unknown emails and wrong passwords get the same answer. Attempts are limited per email and per IP.',
    access: 'anyone',
    request: { body: loginBody, bodyExample: exampleRequests.login },
    responses: { 200: { description: 'Signed in.', schema: sessionResponse, example: exampleSession } },
    errors: [...BODY_ERRORS, 'invalid_credentials', 'rate_limited'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Swap a refresh token for a new token pair',
    description: 'The old refresh token stops working; presenting it again revokes every session of that login.',
    access: 'anyone',
    request: { body: refreshBody, bodyExample: exampleRequests.refresh },
    responses: { 200: { description: 'A new access and refresh token.', schema: tokenPairResponse, example: exampleTokenPair } },
    errors: [...BODY_ERRORS, 'invalid_refresh_token'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'Sign out everywhere',
    description:
      'Every refresh token of the user stops working, and so does every access token issued so far, in every service at once ' +
      '(open Socket.IO connections are closed). Signing in again gives a new pair.',
    access: 'user',
    responses: { 204: { description: 'Signed out.' } },
    errors: ['unauthorized'],
  },
  {
    method: 'get',
    path: '/api/v1/auth/profile',
    operationId: 'getProfile',
    tag: 'auth',
    summary: 'The signed-in user',
    access: 'user',
    responses: { 200: { description: 'The user.', schema: profileResponse, example: exampleProfile } },
    errors: ['unauthorized'],
  },
  {
    method: 'delete',
    path: '/api/v1/auth/me',
    operationId: 'deleteAccount',
    tag: 'auth',
    summary: 'Delete your own account',
    description:
      'Confirm with your password (wrong passwords count against the same per-email budget as logins). The account goes and every ' +
      'token of it stops working at once in every service. Your bookings stay in the sales ledger unchanged: a confirmed ticket stays ' +
      'sold, so cancel first if you want the seat released. The configured admin account cannot be deleted.',
    access: 'user',
    request: { body: deleteAccountBody, bodyExample: exampleRequests.deleteAccount },
    responses: { 204: { description: 'Deleted.' } },
    errors: [...BODY_ERRORS, 'unauthorized', 'invalid_credentials', 'forbidden', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/api/v1/concerts',
    operationId: 'listConcerts',
    tag: 'concerts',
    summary: 'List concerts, soonest first',
    access: 'anyone',
    request: { query: listConcertsQuery },
    responses: { 200: { description: 'A page of concerts.', schema: z.array(concertResponse), example: [exampleConcert] } },
    errors: ['validation_failed'],
  },
  {
    method: 'post',
    path: '/api/v1/concerts',
    operationId: 'createConcert',
    tag: 'concerts',
    summary: 'Create a concert with its seat types',
    description: 'Stock for every seat type is ready in Redis when this answers.',
    access: 'admin',
    request: { body: createConcertBody, bodyExample: exampleRequests.createConcert },
    responses: { 201: { description: 'The concert.', schema: concertResponse, example: exampleConcert, headers: { Location: 'The concert URL.' } } },
    errors: [...BODY_ERRORS, 'unauthorized', 'forbidden'],
  },
  {
    method: 'get',
    path: '/api/v1/concerts/{id}',
    operationId: 'getConcert',
    tag: 'concerts',
    summary: 'One concert with live remaining seats',
    access: 'anyone',
    request: { params: concertParams },
    responses: { 200: { description: 'The concert.', schema: concertResponse, example: exampleConcert } },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/concerts/{id}/seat-types',
    operationId: 'listSeatTypes',
    tag: 'concerts',
    summary: "A concert's seat types",
    access: 'anyone',
    request: { params: concertParams },
    responses: { 200: { description: 'The seat types.', schema: z.array(seatTypeResponse), example: exampleConcert.seatTypes } },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/api/v1/concerts/{id}/seat-types',
    operationId: 'addSeatType',
    tag: 'concerts',
    summary: 'Add a seat type to a concert',
    access: 'admin',
    request: { params: concertParams, body: seatTypeBody, bodyExample: exampleRequests.seatType },
    responses: { 201: { description: 'The seat type, all seats remaining.', schema: seatTypeResponse, example: exampleNewSeatType } },
    errors: [...BODY_ERRORS, 'unauthorized', 'forbidden', 'not_found', 'concert_started', 'seat_type_exists'],
  },
  {
    method: 'get',
    path: '/api/v1/concerts/{id}/seat-types/{seatTypeId}',
    operationId: 'getSeatType',
    tag: 'concerts',
    summary: 'One seat type with live remaining seats',
    access: 'anyone',
    request: { params: seatTypeParams },
    responses: { 200: { description: 'The seat type.', schema: seatTypeResponse, example: exampleSeatType } },
    errors: ['not_found'],
  },
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
      'stored answer of its `Idempotency-Key` back is not counted.',
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
      'admission_required',
      'not_found',
      'already_booked',
      'sold_out',
      'concert_started',
      'idempotency_key_reused',
      'rate_limited',
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
    errors: ['unauthorized', 'not_found'],
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
    errors: ['unauthorized', 'validation_failed'],
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
    errors: ['unauthorized', 'not_found'],
  },
  {
    method: 'delete',
    path: '/api/v1/bookings/{id}',
    operationId: 'cancelBooking',
    tag: 'bookings',
    summary: 'Cancel a booking; the seat is free again at once',
    access: 'user',
    request: { params: bookingParams },
    responses: { 200: { description: 'The cancelled booking.', schema: bookingResponse, example: exampleCancelledBooking } },
    errors: ['unauthorized', 'forbidden', 'not_found', 'already_cancelled', 'concert_started'],
  },
  {
    method: 'get',
    path: '/api/v1/notifications',
    operationId: 'listNotifications',
    tag: 'notifications',
    summary: "The signed-in user's simulated emails, newest first",
    access: 'user',
    request: { query: pagination },
    responses: { 200: { description: 'A page of sent emails.', schema: z.array(emailResponse), example: [exampleEmail] } },
    errors: ['unauthorized', 'validation_failed'],
  },
  {
    method: 'post',
    path: '/api/v1/waiting-room/{concertId}/join',
    operationId: 'joinWaitingRoom',
    tag: 'waiting-room',
    summary: "Take a place in a concert's waiting room",
    description:
      'Joining twice keeps the same place.\n\n' +
      '- Before `opensAt` fans join the *pre-queue* and get their places drawn at random when the line opens.\n' +
      '- Once admitted the answer carries the admission token (also pushed as the Socket.IO event `waiting-room:admitted`).\n' +
      '- Concerts without a waiting room answer 404.\n' +
      '- Joins are limited per client IP (`WAITING_ROOM_JOIN_LIMIT_PER_IP`).',
    access: 'user',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'Your place in the line.', schema: lineStatusResponse, example: exampleLineStatus } },
    errors: ['unauthorized', 'not_found', 'concert_started', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/api/v1/waiting-room/{concertId}/status',
    operationId: 'getWaitingRoomStatus',
    tag: 'waiting-room',
    summary: 'Your place in the line, how many are ahead and the estimated wait',
    access: 'user',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'Your place in the line.', schema: lineStatusResponse, example: exampleLineStatus } },
    errors: ['unauthorized', 'not_found', 'not_in_line'],
  },
  {
    method: 'get',
    path: '/waiting-room/{concertId}',
    operationId: 'waitingRoomPage',
    tag: 'pages',
    summary: 'The fan-facing waiting-room page (HTML)',
    description: 'Signs the fan in, joins the line, shows the place live over Socket.IO and books once admitted.',
    access: 'anyone',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'The page.', schema: z.string(), contentType: 'text/html', example: WAITING_ROOM_PAGE_EXAMPLE } },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/waiting-room/assets/socket.io.min.js',
    operationId: 'waitingRoomSocketClient',
    tag: 'pages',
    summary: 'The Socket.IO browser client the waiting-room page loads',
    access: 'anyone',
    responses: { 200: { description: 'JavaScript.', schema: z.string(), contentType: 'text/javascript', example: SOCKET_CLIENT_EXAMPLE } },
    errors: [],
  },
];

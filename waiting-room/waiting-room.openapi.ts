import { z } from '../lib/openapi/zod-openapi.js';
import { BODY_ERRORS, idParam, type ApiOperation } from '../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes } from '../lib/openapi/examples.js';
import type { LineControls, LineStatsAnswer } from './line-controls.js';
import type { LineStatus } from './waiting-room.service.js';
import { lineSettingsBody } from './waiting-room.schemas.js';

/*
 * The waiting room's part of the OpenAPI document (the gateway assembles it): what it
 * answers (the line status `satisfies` the service's own type), an example of each, and
 * its operations, the fan-facing page among them.
 */

export const lineStatusResponse = z
  .object({
    concertId: objectId,
    status: z.enum(['waiting', 'admitted', 'sold_out']),
    position: z.number().int().nullable().describe('`null` while in the pre-queue: places are drawn when the line opens'),
    ahead: z.number().int().min(0).nullable(),
    etaSeconds: z.number().int().min(0).nullable(),
    admissionToken: z.string().optional().describe('Send as `X-Admission-Token` with `POST /api/v1/bookings` (status `admitted` only).'),
    expiresAt: isoTime.optional(),
    opensAt: isoTime.optional(),
    serving: z.number().int().min(0),
    waiting: z.number().int().min(0),
    admitPerSecond: z.number().int().min(1),
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .describe('How long the place is kept after the last sign of life (a status poll or an open socket watching the line).'),
    keptUntil: isoTime
      .optional()
      .describe('Waiting: until when the place is kept if the fan goes quiet now. Admitted: the end of the claim window (as `expiresAt`).'),
    claimWindowSeconds: z.number().int().min(0).describe('How long an admitted fan has to book; then the slot goes to the next fan.'),
    paused: z.boolean().describe('True while the operator has paused admissions; places are kept.'),
  })
  .strict()
  .openapi('LineStatus') satisfies z.ZodType<LineStatus>;

export const lineControlsResponse = z
  .object({
    paused: z.boolean(),
    draining: z.boolean(),
    admitPerSecond: z.number().int().min(1),
    maxActive: z.number().int().min(0).describe('0: no cap'),
    claimWindowSeconds: z.number().int().min(0),
    graceSeconds: z.number().int().min(0),
  })
  .strict()
  .openapi('LineControls') satisfies z.ZodType<LineControls>;

export const lineStatsResponse = z
  .object({
    concertId: objectId,
    waiting: z.number().int().min(0),
    admitted: z.number().int().min(0).describe('Fans holding an admission now, booked or not.'),
    serving: z.number().int().min(0),
    admissionRatePerSecond: z.number().min(0).describe('The rate the line achieves (smoothed over ~5 s).'),
    timeInLine: z
      .object({ p50Seconds: z.number().min(0).nullable(), p95Seconds: z.number().min(0).nullable() })
      .strict()
      .describe('Join to admission, over the latest 1,000 admissions; `null` before the first.'),
    noShows: z.number().int().min(0).describe('Admissions whose claim window passed without a booking.'),
    paused: z.boolean(),
    draining: z.boolean(),
  })
  .strict()
  .openapi('LineStats') satisfies z.ZodType<LineStatsAnswer>;

export const exampleLineControls = {
  paused: false,
  draining: false,
  admitPerSecond: 50,
  maxActive: 2000,
  claimWindowSeconds: 60,
  graceSeconds: 600,
} satisfies z.input<typeof lineControlsResponse>;

export const exampleLineStats = {
  concertId: exampleIds.concert,
  waiting: 5310,
  admitted: 480,
  serving: 1200,
  admissionRatePerSecond: 49.8,
  timeInLine: { p50Seconds: 412.5, p95Seconds: 1630.2 },
  noShows: 37,
  paused: false,
  draining: false,
} satisfies z.input<typeof lineStatsResponse>;

/** A place in the example concert's line (lib/openapi/examples.ts names its id and opening). */
export const exampleLineStatus = {
  concertId: exampleIds.concert,
  status: 'waiting',
  position: 1842,
  ahead: 1841,
  etaSeconds: 37,
  opensAt: exampleTimes.opensAt,
  serving: 1200,
  waiting: 5310,
  admitPerSecond: 50,
  graceSeconds: 600,
  keptUntil: '2026-11-14T18:10:00.000Z',
  claimWindowSeconds: 60,
  paused: false,
} satisfies z.input<typeof lineStatusResponse>;

/** The beginnings of the two non-JSON answers (the page and the script are served whole). */
const WAITING_ROOM_PAGE_EXAMPLE = '<!doctype html>\n<html lang="en" class="no-js">\n  <head>\n    <meta charset="utf-8" />\n    <title>Waiting room</title>…';
const MY_BOOKINGS_PAGE_EXAMPLE = '<!doctype html>\n<html lang="en" class="no-js">\n  <head>\n    <meta charset="utf-8" />…';
const SOCKET_CLIENT_EXAMPLE = '/*!\n * Socket.IO v4.8.4\n * (c) 2014-2026 Guillermo Rauch\n * Released under the MIT License.\n */\n!function(t,n){…';

export const WAITING_ROOM_OPERATIONS: ApiOperation[] = [
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
      '- A place is kept for `graceSeconds` (per concert, default 10 min) after the last sign of life: a status poll or an open socket watching the line. A fan who comes back within it has the same place.\n' +
      '- An admitted fan has `claimWindowSeconds` (default 60) to book; one admission token serves one booking.\n' +
      '- Before the opening each account gets one draw, the same however often it joins.\n' +
      '- Concerts without a waiting room answer 404; while the operator drains the line, fans without a place get 409 `line_draining`.\n' +
      '- Joins are limited per client IP (`WAITING_ROOM_JOIN_LIMIT_PER_IP`) and per account (`WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT`).',
    access: 'user',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'Your place in the line.', schema: lineStatusResponse, example: exampleLineStatus } },
    errors: ['unauthorized', 'token_expired', 'not_found', 'concert_started', 'line_draining', 'rate_limited'],
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
    errors: ['unauthorized', 'token_expired', 'not_found', 'not_in_line'],
  },
  ...(['pause', 'resume', 'drain'] as const).map((action): ApiOperation => ({
    method: 'post',
    path: `/api/v1/waiting-room/{concertId}/${action}`,
    operationId: `${action}WaitingRoom`,
    tag: 'waiting-room',
    summary: {
      pause: 'Pause admissions (fans keep joining and keep their places)',
      resume: 'Resume admissions and take new fans again (ends a pause or a drain)',
      drain: 'Take no new fans; those in line keep moving',
    }[action],
    description: 'Takes effect on the next tick (200 ms), on every waiting-room process; kept across restarts and recorded in the audit log.',
    access: 'admin',
    request: { params: idParam('concertId', 'Concert') },
    responses: {
      200: {
        description: 'The controls in effect.',
        schema: lineControlsResponse,
        example: { ...exampleLineControls, paused: action === 'pause', draining: action === 'drain' },
      },
    },
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'forbidden', 'not_found'],
  })),
  {
    method: 'patch',
    path: '/api/v1/waiting-room/{concertId}/settings',
    operationId: 'updateWaitingRoomSettings',
    tag: 'waiting-room',
    summary: "Change a live line's admission rate, cap, claim window or grace period",
    description:
      'Effective on the next tick, on every waiting-room process; kept across restarts and recorded in the audit log. `maxActive: 0` lifts the cap. ' +
      'A new claim window or grace period applies to admissions and signs of life from now on.',
    access: 'admin',
    request: { params: idParam('concertId', 'Concert'), body: lineSettingsBody, bodyExample: { admitPerSecond: 80, claimWindowSeconds: 90 } },
    responses: {
      200: {
        description: 'The controls in effect.',
        schema: lineControlsResponse,
        example: { ...exampleLineControls, admitPerSecond: 80, claimWindowSeconds: 90 },
      },
    },
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'forbidden', 'not_found'],
  },
  {
    method: 'get',
    path: '/api/v1/waiting-room/{concertId}/stats',
    operationId: 'getWaitingRoomStats',
    tag: 'waiting-room',
    summary: "A live line's length, admissions, time in line and no-shows",
    access: 'admin',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'The line now.', schema: lineStatsResponse, example: exampleLineStats } },
    errors: ['unauthorized', 'token_expired', 'forbidden', 'not_found'],
  },
  {
    method: 'get',
    path: '/waiting-room/{concertId}',
    operationId: 'waitingRoomPage',
    tag: 'pages',
    summary: 'The fan-facing waiting-room page (HTML)',
    description:
      'Signs the fan in (or up) and keeps the session for hours (the refresh token renews the access token), joins the line, shows the place live over Socket.IO and books once admitted; after booking it shows the booking.',
    access: 'anyone',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'The page.', schema: z.string(), contentType: 'text/html', example: WAITING_ROOM_PAGE_EXAMPLE } },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/waiting-room/my-bookings',
    operationId: 'myBookingsPage',
    tag: 'pages',
    summary: "The fan's bookings (HTML), linked from the waiting-room page",
    description: 'Signs the fan in with the same session as the waiting-room page and lists `GET /api/v1/bookings/my-bookings` with each concert.',
    access: 'anyone',
    responses: { 200: { description: 'The page.', schema: z.string(), contentType: 'text/html', example: MY_BOOKINGS_PAGE_EXAMPLE } },
    errors: [],
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

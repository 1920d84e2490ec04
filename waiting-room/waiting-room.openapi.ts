import { z } from '../lib/openapi/zod-openapi.js';
import { idParam, type ApiOperation } from '../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes } from '../lib/openapi/examples.js';
import type { LineStatus } from './waiting-room.service.js';

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
  })
  .strict()
  .openapi('LineStatus') satisfies z.ZodType<LineStatus>;

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
      '- Concerts without a waiting room answer 404.\n' +
      '- Joins are limited per client IP (`WAITING_ROOM_JOIN_LIMIT_PER_IP`).',
    access: 'user',
    request: { params: idParam('concertId', 'Concert') },
    responses: { 200: { description: 'Your place in the line.', schema: lineStatusResponse, example: exampleLineStatus } },
    errors: ['unauthorized', 'token_expired', 'not_found', 'concert_started', 'rate_limited'],
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

import { z } from '../../lib/openapi/zod-openapi.js';
import { BODY_ERRORS, idParam, type ApiOperation } from '../../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes } from '../../lib/openapi/examples.js';
import type { AuditEntry } from '../../lib/audit-log.js';
import type { ConcertStats } from './concert-stats.js';
import { addCapacityBody, auditQuery, createConcertBody, listConcertsQuery, seatTypeBody, updateConcertBody } from './concert.schemas.js';
import type { PublicConcert, PublicSeatType } from './concert.service.js';

/*
 * The concert service's part of the OpenAPI document (the gateway assembles it): what it
 * answers (each schema `satisfies` the service's own type), an example of each, and its
 * operations.
 */

export const seatTypeResponse = z
  .object({
    id: objectId,
    name: z.string(),
    description: z.string().optional(),
    price: z.number(),
    capacity: z.number().int(),
    remaining: z.number().int().min(0),
    closed: z.literal(true).optional().openapi({ description: 'Present once an operator closed it: bookings of it are refused `seat_type_closed`.' }),
  })
  .strict()
  .openapi('SeatType') satisfies z.ZodType<PublicSeatType>;

export const concertResponse = z
  .object({
    id: objectId,
    name: z.string(),
    venue: z.string(),
    description: z.string().optional(),
    startsAt: isoTime,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .openapi({ description: 'ISO 4217 code every price of the concert is in (EUR unless set at creation).' }),
    salesClosedAt: isoTime.optional().openapi({ description: "Present once an operator closed sales: the cut-off, by Redis's clock." }),
    status: z.enum(['on_sale', 'sold_out', 'sales_closed', 'started']),
    seatTypes: z.array(seatTypeResponse),
    waitingRoom: z
      .object({
        enabled: z.boolean(),
        opensAt: isoTime.optional(),
        admitPerSecond: z.number().int().optional(),
        maxActive: z.number().int().optional(),
        tokenTtlSeconds: z.number().int().optional().describe('The claim window under its earlier name'),
        claimWindowSeconds: z.number().int().optional().describe('How long an admitted fan has to book (default 60)'),
        graceSeconds: z.number().int().optional().describe('How long a place in line is kept after the last sign of life (default 600)'),
      })
      .strict(),
    waitingList: z
      .object({ offerTtlSeconds: z.number().int().describe('How long an offered seat is held for its fan, in seconds') })
      .strict()
      .optional()
      .describe('Present when the concert sets its own waiting-list settings (else offers last 600 s)'),
  })
  .strict()
  .openapi('Concert') satisfies z.ZodType<PublicConcert>;

const { startsAt, opensAt } = exampleTimes;

export const exampleSeatType = {
  id: exampleIds.floor,
  name: 'Floor',
  description: 'Standing, in front of the stage',
  price: 120,
  capacity: 500,
  remaining: 137,
} satisfies z.input<typeof seatTypeResponse>;

export const exampleNewSeatType = {
  id: exampleIds.balcony,
  name: 'Balcony',
  description: 'Seated, first floor',
  price: 80,
  capacity: 200,
  remaining: 200,
} satisfies z.input<typeof seatTypeResponse>;

export const exampleConcert = {
  id: exampleIds.concert,
  name: 'The Midnight Orchestra',
  venue: 'Royal Albert Hall, London',
  startsAt,
  currency: 'GBP',
  status: 'on_sale',
  seatTypes: [exampleSeatType, exampleNewSeatType],
  waitingRoom: { enabled: true, opensAt, admitPerSecond: 50, maxActive: 2000, claimWindowSeconds: 60, graceSeconds: 600 },
  waitingList: { offerTtlSeconds: 900 },
} satisfies z.input<typeof concertResponse>;

export const concertStatsResponse = z
  .object({
    concertId: objectId,
    salesClosedAt: isoTime.nullable(),
    seatTypes: z.array(
      z
        .object({
          seatTypeId: objectId,
          name: z.string(),
          capacity: z.number().int(),
          sold: z.number().int().min(0).openapi({ description: 'Confirmed bookings in the record.' }),
          held: z.number().int().min(0).openapi({ description: 'Taken in Redis, not (yet) a confirmed booking: reservations on their way into the record.' }),
          remaining: z.number().int().min(0),
          closed: z.boolean(),
        })
        .strict(),
    ),
  })
  .strict()
  .openapi('ConcertStats') satisfies z.ZodType<ConcertStats>;

export const auditEntryResponse = z
  .object({
    id: objectId,
    concertId: objectId,
    actor: z.object({ userId: z.string(), email: z.string() }).strict(),
    action: z.string().openapi({ description: 'A dotted verb: `concert.update`, `seat-type.capacity.add`, `seat-type.close`, `sales.close`, `line.pause`…' }),
    details: z.record(z.unknown()),
    at: isoTime,
  })
  .strict()
  .openapi('AuditEntry') satisfies z.ZodType<AuditEntry>;

export const auditLogResponse = z
  .object({ items: z.array(auditEntryResponse) })
  .strict()
  .openapi('AuditLog');

const exampleStats = {
  concertId: exampleIds.concert,
  salesClosedAt: null,
  seatTypes: [
    { seatTypeId: exampleIds.floor, name: 'Floor', capacity: 500, sold: 361, held: 2, remaining: 137, closed: false },
    { seatTypeId: exampleIds.balcony, name: 'Balcony', capacity: 200, sold: 0, held: 0, remaining: 200, closed: false },
  ],
} satisfies z.input<typeof concertStatsResponse>;

const exampleAuditLog = {
  items: [
    {
      id: '6650d0a1e1f2a3b4c5d60101',
      concertId: exampleIds.concert,
      actor: { userId: exampleIds.admin, email: 'admin@onsale.local' },
      action: 'seat-type.capacity.add',
      details: { seatTypeId: exampleIds.floor, add: 50, capacity: 550 },
      at: exampleTimes.bookedAt,
    },
  ],
} satisfies z.input<typeof auditLogResponse>;

const exampleRequests = {
  createConcert: {
    name: 'The Midnight Orchestra',
    venue: 'Royal Albert Hall, London',
    startsAt,
    currency: 'GBP',
    seatTypes: [
      { name: 'Floor', description: 'Standing, in front of the stage', price: 120, capacity: 500 },
      { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 200 },
    ],
    waitingRoom: { enabled: true, opensAt, admitPerSecond: 50, maxActive: 2000, claimWindowSeconds: 60, graceSeconds: 600 },
    waitingList: { offerTtlSeconds: 900 },
  },
  seatType: { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 200 },
  updateConcert: { venue: 'Royal Albert Hall, London (doors 18:30)', description: 'Support act from 19:00' },
  addCapacity: { add: 50 },
};

/** An operator's change: admin only, audited. */
const OPERATOR_ERRORS = ['unauthorized', 'token_expired', 'forbidden', 'not_found'] as const;

const concertParams = idParam('id', 'Concert');
const seatTypeParams = concertParams.merge(idParam('seatTypeId', 'Seat type'));

export const CONCERT_OPERATIONS: ApiOperation[] = [
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
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'forbidden'],
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
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'forbidden', 'not_found', 'concert_started', 'seat_type_exists'],
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
    method: 'patch',
    path: '/api/v1/concerts/{id}',
    operationId: 'updateConcert',
    tag: 'concerts',
    summary: "Change a concert's name, venue, description or start",
    description:
      'The start moves only while no seat is sold or held (checked in the same Redis step that moves it), else `409 concert_has_sales`. Audited as `concert.update`.',
    access: 'admin',
    request: { params: concertParams, body: updateConcertBody, bodyExample: exampleRequests.updateConcert },
    responses: { 200: { description: 'The concert.', schema: concertResponse, example: exampleConcert } },
    errors: [...BODY_ERRORS, ...OPERATOR_ERRORS, 'concert_has_sales', 'concert_started'],
  },
  {
    method: 'post',
    path: '/api/v1/concerts/{id}/seat-types/{seatTypeId}/capacity',
    operationId: 'addCapacity',
    tag: 'concerts',
    summary: 'Add seats to a seat type of a live sale',
    description:
      'The record first, then Redis brought up to the recorded capacity (never a delta twice): the new seats are on sale when this answers. Audited as `seat-type.capacity.add`.',
    access: 'admin',
    request: { params: seatTypeParams, body: addCapacityBody, bodyExample: exampleRequests.addCapacity },
    responses: {
      200: { description: 'The seat type with its new capacity.', schema: seatTypeResponse, example: { ...exampleSeatType, capacity: 550, remaining: 187 } },
    },
    errors: [...BODY_ERRORS, ...OPERATOR_ERRORS, 'concert_started'],
  },
  {
    method: 'post',
    path: '/api/v1/concerts/{id}/seat-types/{seatTypeId}/close',
    operationId: 'closeSeatType',
    tag: 'concerts',
    summary: 'Close a seat type: no more bookings of it',
    description:
      'From the answer on, bookings of it are refused `seat_type_closed`; bookings made before stay. Closing twice answers the same. Audited as `seat-type.close`.',
    access: 'admin',
    request: { params: seatTypeParams },
    responses: { 200: { description: 'The closed seat type.', schema: seatTypeResponse, example: { ...exampleSeatType, closed: true as const } } },
    errors: [...OPERATOR_ERRORS],
  },
  {
    method: 'post',
    path: '/api/v1/concerts/{id}/close-sales',
    operationId: 'closeSales',
    tag: 'concerts',
    summary: "Close a concert's sales now",
    description:
      "Cut off by Redis's clock, like the start: no booking is decided from that instant on (refused `sales_closed`). A second close answers the first cut-off. Audited as `sales.close`.",
    access: 'admin',
    request: { params: concertParams },
    responses: {
      200: {
        description: 'The concert with its cut-off.',
        schema: concertResponse,
        example: { ...exampleConcert, status: 'sales_closed' as const, salesClosedAt: exampleTimes.bookedAt },
      },
    },
    errors: [...OPERATOR_ERRORS],
  },
  {
    method: 'get',
    path: '/api/v1/concerts/{id}/stats',
    operationId: 'getConcertStats',
    tag: 'concerts',
    summary: 'Live figures per seat type: sold, held, remaining',
    access: 'admin',
    request: { params: concertParams },
    responses: { 200: { description: 'The figures.', schema: concertStatsResponse, example: exampleStats } },
    errors: [...OPERATOR_ERRORS],
  },
  {
    method: 'get',
    path: '/api/v1/concerts/{id}/audit',
    operationId: 'getConcertAuditLog',
    tag: 'concerts',
    summary: "Who changed what in a concert's sale, newest first",
    access: 'admin',
    request: { params: concertParams, query: auditQuery },
    responses: { 200: { description: 'The newest entries.', schema: auditLogResponse, example: exampleAuditLog } },
    errors: [...OPERATOR_ERRORS, 'validation_failed'],
  },
];

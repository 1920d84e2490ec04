import { z } from '../../lib/openapi/zod-openapi.js';
import { BODY_ERRORS, idParam, type ApiOperation } from '../../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes } from '../../lib/openapi/examples.js';
import { createConcertBody, listConcertsQuery, seatTypeBody } from './concert.schemas.js';
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
  })
  .strict()
  .openapi('SeatType') satisfies z.ZodType<PublicSeatType>;

export const concertResponse = z
  .object({
    id: objectId,
    name: z.string(),
    venue: z.string(),
    startsAt: isoTime,
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .openapi({ description: 'ISO 4217 code every price of the concert is in (EUR unless set at creation).' }),
    status: z.enum(['on_sale', 'sold_out', 'started']),
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
} satisfies z.input<typeof concertResponse>;

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
  },
  seatType: { name: 'Balcony', description: 'Seated, first floor', price: 80, capacity: 200 },
};

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
];

import { z } from '../../../lib/openapi/zod-openapi.js';
import { BODY_ERRORS, idParam, type ApiOperation } from '../../../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../../../lib/openapi/common.schemas.js';
import { exampleIds, exampleYear } from '../../../lib/openapi/examples.js';
import { offerIdString } from '../booking.schemas.js';
import { joinWaitingListBody, type PublicOffer, type WaitingListStatus } from './waiting-list.schemas.js';

/* The waiting list's part of the OpenAPI document (issue 16); the gateway assembles it. */

export const waitingListOfferResponse = z
  .object({
    offerId: offerIdString,
    concertId: objectId,
    seatTypeId: objectId,
    seatTypeName: z.string(),
    price: z.number(),
    expiresAt: isoTime.openapi({ description: 'Until when the seat is held for this fan alone (never after the concert’s start).' }),
  })
  .strict()
  .openapi('WaitingListOffer') satisfies z.ZodType<PublicOffer>;

export const waitingListStatusResponse = z
  .object({
    concertId: objectId,
    status: z.enum(['waiting', 'offered']),
    seatTypeId: objectId.nullable().openapi({ description: 'The seat type waited for; `null`: any.' }),
    position: z.number().int().min(0).openapi({ description: '1 = next to be offered a seat; 0 once offered.' }),
    ahead: z.number().int().min(0),
    offer: waitingListOfferResponse.optional(),
  })
  .strict()
  .openapi('WaitingListPlace') satisfies z.ZodType<WaitingListStatus>;

export const exampleOffer = {
  offerId: '5f1c0a9e4b7d.17',
  concertId: exampleIds.concert,
  seatTypeId: exampleIds.floor,
  seatTypeName: 'Floor',
  price: 120,
  expiresAt: `${exampleYear}-06-03T18:50:05.004Z`,
} satisfies z.input<typeof waitingListOfferResponse>;

export const exampleWaiting = {
  concertId: exampleIds.concert,
  status: 'waiting',
  seatTypeId: exampleIds.floor,
  position: 4,
  ahead: 3,
} satisfies z.input<typeof waitingListStatusResponse>;

const exampleOffered = { ...exampleWaiting, status: 'offered', position: 0, ahead: 0, offer: exampleOffer } satisfies z.input<typeof waitingListStatusResponse>;

const concertParams = idParam('concertId', 'Concert');
const offerParams = concertParams.extend({ offerId: offerIdString.describe('The offer id (from `waiting-list:offer` or the place)') });

export const WAITING_LIST_OPERATIONS: ApiOperation[] = [
  {
    method: 'put',
    path: '/api/v1/waiting-lists/{concertId}/me',
    operationId: 'joinWaitingList',
    tag: 'waiting-list',
    summary: 'Join a sold-out concert’s waiting list (one seat type, or any)',
    description:
      'For a seat type that is sold out (or, without `seatTypeId`, a concert with no free seat of any type). Joining again with the ' +
      'same choice keeps the place. Each seat freed by a cancel (or added by an operator) is offered, in the same atomic step, to the ' +
      'first fan on the list whose choice matches: it is held for that fan alone until the offer expires (`waiting-list:offer` over ' +
      'Socket.IO, and an email). Accept with `POST /api/v1/bookings` and the `offerId`; places are pushed as `waiting-list:update`.',
    access: 'user',
    request: { params: concertParams, body: joinWaitingListBody, bodyExample: { seatTypeId: exampleIds.floor } },
    responses: { 200: { description: 'The fan’s place (or open offer).', schema: waitingListStatusResponse, example: exampleWaiting } },
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'not_found', 'seats_available', 'already_booked', 'concert_started', 'waiting_for_other_choice'],
  },
  {
    method: 'get',
    path: '/api/v1/waiting-lists/{concertId}/me',
    operationId: 'getWaitingListPlace',
    tag: 'waiting-list',
    summary: 'The fan’s place on the waiting list, or the open offer',
    access: 'user',
    request: { params: concertParams },
    responses: { 200: { description: 'Waiting (position, ahead) or offered (the offer).', schema: waitingListStatusResponse, example: exampleOffered } },
    errors: ['unauthorized', 'token_expired', 'not_found', 'not_on_waiting_list'],
  },
  {
    method: 'delete',
    path: '/api/v1/waiting-lists/{concertId}/me',
    operationId: 'leaveWaitingList',
    tag: 'waiting-list',
    summary: 'Leave the waiting list (declines an open offer)',
    access: 'user',
    request: { params: concertParams },
    responses: { 204: { description: 'Left; an open offer passed to the next fan.' } },
    errors: ['unauthorized', 'token_expired', 'not_found', 'not_on_waiting_list'],
  },
  {
    method: 'post',
    path: '/api/v1/waiting-lists/{concertId}/offers/{offerId}/decline',
    operationId: 'declineWaitingListOffer',
    tag: 'waiting-list',
    summary: 'Decline an offer: the seat passes to the next fan on the list',
    access: 'user',
    request: { params: offerParams },
    responses: { 204: { description: 'Declined; the fan has left the list.' } },
    errors: ['unauthorized', 'token_expired', 'not_found'],
  },
];

import { z } from '../../lib/openapi/zod-openapi.js';
import type { ApiOperation } from '../../lib/openapi/api-operation.js';
import { isoTime } from '../../lib/openapi/common.schemas.js';
import { exampleIds, exampleYear } from '../../lib/openapi/examples.js';
import { NOTIFICATION_JOBS } from '../../lib/queues.js';
import { pagination } from '../../lib/validation.js';
import type { PublicEmail } from './notification.service.js';

/*
 * The notification service's part of the OpenAPI document (the gateway assembles it):
 * what it answers (the schema `satisfies` the service's own type), an example, and its
 * operation.
 */

const notificationEvents = Object.values(NOTIFICATION_JOBS) as [
  (typeof NOTIFICATION_JOBS)[keyof typeof NOTIFICATION_JOBS],
  ...Array<(typeof NOTIFICATION_JOBS)[keyof typeof NOTIFICATION_JOBS]>,
];

export const emailResponse = z
  .object({
    id: z.string(),
    event: z.enum(notificationEvents),
    bookingId: z.string(),
    to: z.string().email(),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    sentAt: isoTime,
  })
  .strict()
  .openapi('Email') satisfies z.ZodType<PublicEmail>;

/** The confirmation of the example booking (lib/openapi/examples.ts names its id). */
export const exampleEmail = {
  id: '6650c9d1e1f2a3b4c5d60077',
  event: 'booking.confirmed',
  bookingId: exampleIds.booking,
  to: 'ada@example.com',
  subject: 'Your ticket for The Midnight Orchestra',
  text: 'Hi Ada, your Floor ticket (seat 364) for The Midnight Orchestra is confirmed.',
  html: '<p>Hi Ada, your <b>Floor</b> ticket (seat 364) for The Midnight Orchestra is confirmed.</p>',
  sentAt: `${exampleYear}-06-01T10:02:18.101Z`,
} satisfies z.input<typeof emailResponse>;

export const NOTIFICATION_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/notifications',
    operationId: 'listNotifications',
    tag: 'notifications',
    summary: "The signed-in user's simulated emails, newest first",
    access: 'user',
    request: { query: pagination },
    responses: { 200: { description: 'A page of sent emails.', schema: z.array(emailResponse), example: [exampleEmail] } },
    errors: ['unauthorized', 'token_expired', 'validation_failed'],
  },
];

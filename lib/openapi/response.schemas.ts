import { z } from './zod-openapi.js';
import type { Decision } from '../booking-requests.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { NOTIFICATION_JOBS } from '../queues.js';
import type { PublicBooking } from '../records/booking.record.js';
import type { PublicUser } from '../../services/auth/auth.service.js';
import type { PublicConcert, PublicSeatType } from '../../services/concert/concert.service.js';
import type { PublicEmail } from '../../services/notification/notification.service.js';
import type { LineStatus } from '../../waiting-room/waiting-room.service.js';

/*
 * What the services answer. The services build these shapes with plain TypeScript
 * (toPublicUser, toPublicBooking, ...); each schema here `satisfies` that type, so
 * a field added to or removed from a service's answer fails the typecheck, and the
 * contract test validates every response the Postman run receives against these.
 * Strict objects: an undocumented field in a response is a contract failure.
 */

const isoTime = z.string().datetime({ offset: true });
const id = z.string().regex(/^[a-f0-9]{24}$/);

export const publicUser = z
  .object({ id, email: z.string().email(), name: z.string(), role: z.enum(['fan', 'admin']), createdAt: isoTime })
  .strict()
  .openapi('User') satisfies z.ZodType<PublicUser>;

export const sessionResponse = z.object({ user: publicUser, accessToken: z.string(), refreshToken: z.string() }).strict().openapi('Session');
export const tokenPairResponse = z.object({ accessToken: z.string(), refreshToken: z.string() }).strict().openapi('TokenPair');
export const profileResponse = z.object({ user: publicUser }).strict();

export const seatTypeResponse = z
  .object({
    id,
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
    id,
    name: z.string(),
    venue: z.string(),
    startsAt: isoTime,
    status: z.enum(['on_sale', 'sold_out', 'started']),
    seatTypes: z.array(seatTypeResponse),
    waitingRoom: z
      .object({
        enabled: z.boolean(),
        opensAt: isoTime.optional(),
        admitPerSecond: z.number().int().optional(),
        maxActive: z.number().int().optional(),
        tokenTtlSeconds: z.number().int().optional(),
      })
      .strict(),
  })
  .strict()
  .openapi('Concert') satisfies z.ZodType<PublicConcert>;

export const bookingResponse = z
  .object({
    id,
    concertId: id,
    seatTypeId: id,
    seatTypeName: z.string(),
    seatNo: z.number().int().min(1),
    price: z.number(),
    userId: id,
    status: z.enum(['confirmed', 'cancelled']),
    createdAt: isoTime,
    cancelledAt: isoTime.optional(),
  })
  .strict()
  .openapi('Booking') satisfies z.ZodType<PublicBooking>;

export const queuedBookingResponse = z
  .object({ requestId: id, status: z.literal('queued') })
  .strict()
  .openapi('QueuedBooking');

const rejectionReason = z.enum(['concert_started', 'already_booked', 'sold_out', 'not_found', 'service_unavailable']) satisfies z.ZodType<
  NonNullable<Decision['reason']>
>;

export const bookingRequestStatusResponse = z
  .object({
    requestId: id,
    status: z.enum(['queued', 'confirmed', 'rejected']),
    reason: rejectionReason.optional(),
    booking: bookingResponse.optional(),
  })
  .strict()
  .openapi('BookingRequestStatus');

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

export const lineStatusResponse = z
  .object({
    concertId: id,
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

/** `details` of `validation_failed`: one entry per failing field. */
export const validationIssue = z.object({ path: z.string(), message: z.string() }).strict();

/** The public error shape, narrowed to the codes one response can carry. */
export function errorResponse(codes: readonly ErrorCode[]) {
  const [first, ...rest] = codes;
  return z
    .object({
      error: z
        .object({
          code: z.enum([first, ...rest]),
          message: z.string(),
          details: z.unknown().optional(),
        })
        .strict(),
    })
    .strict();
}

export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

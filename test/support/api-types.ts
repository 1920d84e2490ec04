import type { z } from 'zod';
import type { ErrorCode } from '../../lib/errors.js';
import type { sessionResponse, tokenPairResponse } from '../../services/auth/auth.openapi.js';
import type { bookingRequestStatusResponse, bookingResponse, queuedBookingResponse } from '../../services/booking/booking.openapi.js';
import type { concertResponse, seatTypeResponse } from '../../services/concert/concert.openapi.js';
import type { emailResponse } from '../../services/notification/notification.openapi.js';
import type { lineStatusResponse } from '../../waiting-room/waiting-room.openapi.js';

/*
 * The shapes the public API answers with, as the contract (each component's *.openapi.ts)
 * declares them: black-box tests name the one they expect, e.g. `api.get<Concert>(...)`.
 * Nothing here is checked at run time; the contract test validates the responses.
 */

export type Session = z.infer<typeof sessionResponse>;
export type TokenPair = z.infer<typeof tokenPairResponse>;
export type SeatType = z.infer<typeof seatTypeResponse>;
export type Concert = z.infer<typeof concertResponse>;
export type Booking = z.infer<typeof bookingResponse>;
export type QueuedBooking = z.infer<typeof queuedBookingResponse>;
export type BookingRequestStatus = z.infer<typeof bookingRequestStatusResponse>;
export type Email = z.infer<typeof emailResponse>;
export type LineStatus = z.infer<typeof lineStatusResponse>;
/** A line status once admitted: the waiting room always sends the admission token and its expiry then. */
export type AdmittedLineStatus = LineStatus & { status: 'admitted'; admissionToken: string; expiresAt: string };

/** The public error shape `{error: {code, message, details?}}` (lib/errors.ts PublicErrorBody), with the details a test expects. */
export interface ErrorBody<Details = unknown> {
  error: { code: ErrorCode; message: string; details?: Details };
}
/** `details` of a 409 booking rejection. */
export interface RejectionDetails {
  requestId?: string;
}

/** What POST /api/v1/bookings answers: the booking (201), a queued request (202) or an error. */
export type SubmissionAnswer = Booking | QueuedBooking | ErrorBody;

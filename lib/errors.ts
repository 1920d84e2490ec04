/**
 * Every error code the public API can answer with, its HTTP status and what it
 * means. The registry is the single source: a test fails when a code is used in
 * the code base but missing here, or documented here but never produced.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, description: 'The request body, query or path did not match the schema.' },
  malformed_json: { status: 400, description: 'The body is not valid JSON.' },
  malformed_request: {
    status: 400,
    description: 'The request could not be read: not valid HTTP, a URL path that is not valid percent-encoding, or a body its Content-Encoding cannot decode.',
  },
  unauthorized: { status: 401, description: 'Missing, invalid or revoked access token: sign in again.' },
  token_expired: { status: 401, description: 'The access token has expired: get a new pair from POST /api/v1/auth/refresh and retry.' },
  invalid_credentials: { status: 401, description: 'Unknown email or wrong password (same answer for both).' },
  invalid_refresh_token: { status: 401, description: 'Refresh token unknown, expired, revoked or already used.' },
  forbidden: { status: 403, description: 'Authenticated, but not allowed to do this.' },
  admission_required: { status: 403, description: 'The waiting room is enabled and no valid admission token was sent.' },
  admission_used: { status: 403, description: 'This admission token was used for a booking already: one admission, one booking.' },
  not_found: { status: 404, description: 'No such resource (or not yours).' },
  route_not_found: { status: 404, description: 'No such endpoint.' },
  not_in_line: { status: 404, description: 'You have not joined this waiting room.' },
  not_on_waiting_list: { status: 404, description: "You are not on this concert's waiting list." },
  email_taken: { status: 409, description: 'An account with this email exists.' },
  already_booked: { status: 409, description: 'You already hold a booking for this concert.' },
  sold_out: { status: 409, description: 'No seats of this type are left.' },
  line_draining: { status: 409, description: 'The waiting room takes no new fans (the operator is draining the line).' },
  concert_started: { status: 409, description: 'The concert has started: no more bookings or cancellations.' },
  sales_closed: { status: 409, description: 'An operator closed sales for this concert: no more bookings.' },
  seat_type_closed: { status: 409, description: 'An operator closed this seat type: no more bookings of it.' },
  concert_has_sales: { status: 409, description: 'The start time cannot change once seats are sold or held.' },
  already_cancelled: { status: 409, description: 'This booking is already cancelled.' },
  seats_available: { status: 409, description: 'Seats of this type are still free: book one rather than join its waiting list.' },
  waiting_for_other_choice: { status: 409, description: 'You wait on this list for another seat type: leave it first to change your choice.' },
  offer_not_open: { status: 409, description: 'No open waiting-list offer of this id for you: it expired, was declined, or is for another seat type.' },
  seat_type_exists: { status: 409, description: 'The concert already has a seat type with this name.' },
  idempotency_key_reused: { status: 422, description: 'This Idempotency-Key was used for a different request.' },
  request_timeout: { status: 408, description: 'The request (headers and body) did not arrive in time; send it again, whole.' },
  payload_too_large: { status: 413, description: 'The request body is larger than allowed.' },
  headers_too_large: { status: 431, description: 'The request line and headers are larger than allowed (16 KB in all).' },
  unsupported_media_type: { status: 415, description: 'Send the body as application/json.' },
  rate_limited: { status: 429, description: 'Too many requests; retry after the time in Retry-After.' },
  internal_error: { status: 500, description: 'Something went wrong on our side; it has been logged.' },
  upstream_unavailable: { status: 502, description: 'A backend service did not answer.' },
  service_unavailable: { status: 503, description: 'A dependency is down; retry shortly.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PublicErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** The one error type services throw; the error middleware turns it into the public shape. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code].description,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }

  toBody(): PublicErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export function errorBody(code: ErrorCode, message: string = ERROR_CODES[code].description, details?: unknown): PublicErrorBody {
  return new AppError(code, message, details).toBody();
}

/**
 * Every BullMQ queue and job name, and the payload of each job, in one place.
 * Each queue has its own hash-tagged prefix so all of its keys share one Redis
 * Cluster slot. Job ids are deterministic (they deduplicate) and never contain ':'.
 */
export const QUEUES = {
  bookings: { name: 'bookings', prefix: '{bookings}' },
  notifications: { name: 'notifications', prefix: '{notifications}' },
} as const;

export const BOOKING_JOBS = {
  reserve: 'booking.reserve',
} as const;

export const NOTIFICATION_JOBS = {
  bookingConfirmed: 'booking.confirmed',
  bookingCancelled: 'booking.cancelled',
  waitingListOffer: 'waiting-list.offer',
} as const;

export type NotificationJobName = (typeof NOTIFICATION_JOBS)[keyof typeof NOTIFICATION_JOBS];

/** `booking.reserve`: one fan's request for one seat; the job id is the request id. */
export interface ReserveJobData {
  requestId: string;
  concertId: string;
  seatTypeId: string;
  userId: string;
  userEmail: string;
  /** When the fan submitted (ms since epoch), for submit→decision latency. */
  submittedAt: number;
  /** Queued again by the booking service after Redis lost the job: it may have been decided before. */
  requeued?: boolean;
  /** Accepts this waiting-list offer: the seat comes from the offer (reserve-offered-seat-9.lua). */
  offerId?: string;
  /** Used a waiting-room admission whose slot stays taken until this is decided (the worker frees it). */
  admitted?: true;
}

/** `booking.confirmed` / `booking.cancelled`: everything the email needs, so the sender reads nothing else. */
export interface BookingNotificationData {
  bookingId: string;
  /** What the fan shows at the entrance (the booking id is guessable and stays out of the email). */
  ticketRef: string;
  userId: string;
  userEmail: string;
  concertId: string;
  concertName: string;
  venue: string;
  startsAt: string;
  seatTypeId: string;
  seatTypeName: string;
  price: number;
  /** ISO 4217 code of the price; jobs queued before currencies have none (EUR). */
  currency?: string;
  /** ISO time of the confirmation or cancellation. */
  occurredAt: string;
}

/**
 * `waiting-list.offer`: a freed seat offered to a fan on the waiting list. `bookingId` is
 * the offer's id as a token (its "." as "-"): the email's one-per-event key.
 */
export interface OfferNotificationData extends Omit<BookingNotificationData, 'ticketRef'> {
  /** ISO time the offer stops (never after the concert's start). */
  expiresAt: string;
}

/** Deterministic notification job id: one job per booking event, so duplicates collapse. */
export const notificationJobId = (event: NotificationJobName, bookingId: string) => `${event.replace('.', '-')}-${bookingId}`;

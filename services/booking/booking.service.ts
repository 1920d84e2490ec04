import type { Queue } from 'bullmq';
import type { AdmissionGate } from '../../lib/admission-token.js';
import { Types } from 'mongoose';
import type { Decision, RejectionReason } from '../../lib/booking-requests.js';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import { BeginCancelCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../lib/logger.js';
import { NOTIFICATION_JOBS, type ReserveJobData } from '../../lib/queues.js';
import { toPublicBooking, type PublicBooking } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import type { AuthenticatedUser } from '../../lib/request-context.js';
import { enqueueBookingNotification } from '../notification/notification.jobs.js';
import type { BookingRepository } from './booking.repository.js';
import type { DecisionWaiter } from './decision-waiter.js';
import type { RequestJournal } from './request-journal.js';
import type { RequestStore, StoredRequest } from './request-store.js';

export interface BookingServiceDeps {
  bookings: BookingRepository;
  requests: RequestStore;
  waiter: DecisionWaiter;
  inventory: Inventory;
  loader: InventoryLoader;
  concerts: ConcertCache;
  admission: AdmissionGate;
  /** Queues the decision job, and queues it again if Redis loses it. */
  journal: Pick<RequestJournal, 'enqueue' | 'lookup'>;
  notifications: Pick<Queue, 'add'>;
  logger: Logger;
}

/** What POST /bookings answers: 202 while queued, 201 with the booking, or an error. */
export type SubmitAnswer = { status: 202; body: { requestId: string; status: 'queued' } } | { status: 201; body: PublicBooking };

const REASON_ERROR: Record<RejectionReason, ErrorCode> = {
  concert_started: 'concert_started',
  already_booked: 'already_booked',
  sold_out: 'sold_out',
  not_found: 'not_found',
  service_unavailable: 'service_unavailable',
};

function answerOf(requestId: string, decision: { status: string; reason?: RejectionReason; booking?: PublicBooking } | undefined): SubmitAnswer {
  if (!decision || (decision.status !== 'confirmed' && decision.status !== 'rejected')) return { status: 202, body: { requestId, status: 'queued' } };
  if (decision.status === 'confirmed' && decision.booking) return { status: 201, body: decision.booking };
  const reason = decision.reason ?? 'service_unavailable';
  throw new AppError(REASON_ERROR[reason], undefined, { requestId });
}

export function createBookingService(deps: BookingServiceDeps) {
  const { bookings, requests, waiter, inventory, loader, concerts } = deps;

  async function awaitAnswer(requestId: string, waitSeconds: number | undefined, pending?: Promise<Decision | undefined>): Promise<SubmitAnswer> {
    if (!waitSeconds) return answerOf(requestId, undefined);
    const waited = pending ?? waiter.register(requestId, waitSeconds * 1000);
    // The decision may have landed before we started listening.
    const stored = await requests.get(requestId);
    if (stored && stored.status !== 'queued') return answerOf(requestId, stored);
    return answerOf(requestId, await waited);
  }

  /** Concert and seat type must exist and the concert must not have started. */
  async function checkBookable(concertId: string, seatTypeId: string) {
    const concert = await concerts.get(concertId, seatTypeId);
    if (!concert) throw new AppError('not_found', 'No such concert');
    if (!concert.seatTypes.some((s) => String(s._id) === seatTypeId)) throw new AppError('not_found', 'No such seat type for this concert');
    if (Date.now() >= concert.startsAt.getTime()) return 'concert_started' as const;
    return undefined;
  }

  return {
    async submit(
      user: AuthenticatedUser,
      body: { concertId: string; seatTypeId: string },
      opts: { idempotencyKey?: string; waitSeconds?: number; admissionToken?: string },
    ): Promise<SubmitAnswer> {
      let requestId = new Types.ObjectId().toHexString();
      // The fan's flood limit and the Idempotency-Key's claim: one round trip; a replay is not counted.
      const earlier = await requests.admitSubmission(user.id, opts.idempotencyKey, requestId, body);
      if (earlier) {
        if (!earlier.sameBody) throw new AppError('idempotency_key_reused');
        const stored = await requests.get(earlier.requestId);
        if (stored) return awaitAnswer(earlier.requestId, opts.waitSeconds);
        // Claimed by a try that died before queueing: finish it under the same id.
        requestId = earlier.requestId;
      }
      const request = { requestId, userId: user.id, concertId: body.concertId, seatTypeId: body.seatTypeId };

      // A concert with a waiting room takes bookings only from admitted fans (this frees the fan's admission slot).
      const concert = await concerts.get(body.concertId);
      if (concert)
        await deps.admission.require(user.id, { id: body.concertId, waitingRoomEnabled: Boolean(concert.waitingRoom?.enabled) }, opts.admissionToken);

      // Cheap refusals that need no queue; the Lua script stays the one that decides.
      let early: RejectionReason | undefined = await checkBookable(body.concertId, body.seatTypeId);
      if (!early) {
        const peek = await inventory.peek(body.concertId, body.seatTypeId, user.id);
        if (peek.loaded && peek.holds) early = 'already_booked';
        else if (peek.loaded && peek.remaining === 0) early = 'sold_out';
      }
      if (early) {
        if (opts.idempotencyKey) await requests.rejectEarly(request, early);
        throw new AppError(REASON_ERROR[early], undefined, { requestId });
      }

      const submittedAt = Date.now();
      await requests.create(request, submittedAt);
      const pending = opts.waitSeconds ? waiter.register(requestId, opts.waitSeconds * 1000) : undefined;
      const job: ReserveJobData = { ...request, userEmail: user.email, submittedAt };
      await deps.journal.enqueue(job);
      return awaitAnswer(requestId, opts.waitSeconds, pending);
    },

    async requestStatus(user: AuthenticatedUser, requestId: string) {
      const id = requestId.toLowerCase();
      const stored: StoredRequest | null = /^[a-f0-9]{24}$/.test(id) ? await requests.get(id) : null;
      const owns = (userId: string) => userId === user.id || user.role === 'admin';
      if (stored && stored.status !== 'queued' && owns(stored.userId)) {
        return {
          requestId: stored.requestId,
          status: stored.status,
          ...(stored.reason ? { reason: stored.reason } : {}),
          ...(stored.booking ? { booking: stored.booking } : {}),
        };
      }
      // Queued in Redis, or unknown there: Redis may have lost the answer (restarted
      // empty, or back a second in the past) before the journal's sweep repairs it,
      // and this process's journal remembers what the fan was told.
      const known = deps.journal.lookup(id);
      if (known?.status === 'rejected' && owns(known.userId)) return { requestId: id, status: known.status, ...(known.reason ? { reason: known.reason } : {}) };
      // A confirmed request lives on as its booking (also after its status expired).
      const booking = !stored || known?.status === 'confirmed' ? await bookings.findById(requestId) : null;
      if (booking && owns(booking.userId)) return { requestId: String(booking._id), status: 'confirmed', booking: toPublicBooking(booking) };
      if (stored && owns(stored.userId)) return { requestId: stored.requestId, status: stored.status };
      if (known && owns(known.userId)) return { requestId: id, status: known.status };
      throw new AppError('not_found', 'No such booking request');
    },

    async mine(user: AuthenticatedUser, limit: number, offset: number) {
      return (await bookings.listByUser(user.id, limit, offset)).map(toPublicBooking);
    },

    async get(user: AuthenticatedUser, id: string) {
      const booking = await bookings.findById(id);
      if (!booking || (booking.userId !== user.id && user.role !== 'admin')) throw new AppError('not_found', 'No such booking');
      return toPublicBooking(booking);
    },

    /**
     * Cancels in three steps so the seat can never have two holders in the record:
     * begin-cancel-3.lua decides (exact cut-off, inside Redis), MongoDB records it,
     * then release-seat-3.lua gives the seat back.
     */
    async cancel(user: AuthenticatedUser, id: string): Promise<PublicBooking> {
      const booking = await bookings.findById(id);
      if (!booking) throw new AppError('not_found', 'No such booking');
      if (booking.userId !== user.id && user.role !== 'admin') throw new AppError('forbidden', 'Not your booking');
      if (booking.status === 'cancelled') throw new AppError('already_cancelled');
      const bookingId = String(booking._id);

      let begun = await inventory.beginCancel(booking.concertId, booking.userId, bookingId);
      if (begun.code === BeginCancelCode.NotLoaded) {
        await loader.ensureLoaded(booking.concertId);
        begun = await inventory.beginCancel(booking.concertId, booking.userId, bookingId);
      }
      if (begun.code === BeginCancelCode.ConcertStarted) throw new AppError('concert_started');
      if (begun.code === BeginCancelCode.InProgress) throw new AppError('already_cancelled', 'This booking is being cancelled');
      if (begun.code !== BeginCancelCode.Ok) {
        const now = await bookings.findById(bookingId);
        if (now?.status === 'cancelled') throw new AppError('already_cancelled');
        deps.logger.error({ bookingId, code: begun.code }, 'confirmed booking has no hold in Redis');
        throw new AppError('service_unavailable', 'The booking cannot be cancelled right now; try again shortly');
      }

      let cancelled;
      try {
        cancelled = await bookings.markCancelled(bookingId, begun.decidedAt);
      } catch (err) {
        await inventory.abortCancel(booking.concertId, booking.userId, bookingId);
        throw err;
      }
      if (!cancelled) throw new AppError('already_cancelled');
      await inventory.release(booking.concertId, booking.seatTypeId, booking.userId, bookingId);

      const concert = await concerts.get(booking.concertId);
      await enqueueBookingNotification(deps.notifications, NOTIFICATION_JOBS.bookingCancelled, {
        bookingId,
        userId: booking.userId,
        userEmail: booking.userEmail,
        concertId: booking.concertId,
        concertName: concert?.name ?? '',
        venue: concert?.venue ?? '',
        startsAt: concert?.startsAt.toISOString() ?? '',
        seatTypeId: booking.seatTypeId,
        seatTypeName: booking.seatTypeName,
        price: booking.price,
        occurredAt: begun.decidedAt.toISOString(),
      }).catch((err) => deps.logger.error({ err, bookingId }, 'cancellation email not queued'));
      return toPublicBooking(cancelled);
    },
  };
}

export type BookingService = ReturnType<typeof createBookingService>;

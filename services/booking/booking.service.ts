import type { Queue } from 'bullmq';
import { Types } from 'mongoose';
import type { AdmissionGate } from '../../lib/admission-token.js';
import { decisionOf, type Decision, type RejectionReason } from '../../lib/booking-requests.js';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import { BeginCancelCode, REJECTION_BY_CODE } from '../../lib/inventory/inventory-codes.js';
import type { BookablePeek, Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../lib/logger.js';
import { enqueueBookingEmail } from '../../lib/notification-jobs.js';
import { LruMap } from '../../lib/lru-map.js';
import type { ReserveJobData } from '../../lib/queues.js';
import type { RateLimiter, RateLimitRule } from '../../lib/rate-limiter.js';
import type { BookingRequestDoc } from '../../lib/records/booking-request.record.js';
import { toPublicBooking, type BookingDoc, type DecisionDoc, type PublicBooking } from '../../lib/records/booking.record.js';
import type { ConcertCache } from '../../lib/records/concert-cache.js';
import type { AuthenticatedUser } from '../../lib/request-context.js';
import { jobOf } from './booking-queue.js';
import type { ReconcilerHints } from './booking-reconciler.js';
import type { BookingMetrics, GateRefusal } from './booking.metrics.js';
import type { BookingRepository } from './booking.repository.js';
import type { DecisionWaiter } from './decision-waiter.js';
import type { RequestLedger } from './request-ledger.js';

export interface BookingServiceDeps {
  bookings: BookingRepository;
  ledger: RequestLedger;
  waiter: Pick<DecisionWaiter, 'wait' | 'onSettled'>;
  inventory: Inventory;
  loader: InventoryLoader;
  concerts: ConcertCache;
  admission: AdmissionGate;
  limiter: RateLimiter;
  submitLimit: RateLimitRule;
  /** Queues a booking job (job id = request id, so queuing twice adds one job). */
  enqueue: (job: ReserveJobData) => Promise<unknown>;
  /** Tells the reconciler where to look (a request just accepted, a cancel begun). */
  hints: ReconcilerHints;
  notifications: Pick<Queue, 'add'>;
  /** Reads the waiting-list offer a request accepts. */
  offers: { offer(concertId: string, offerId: string): Promise<{ userId: string; seatTypeId: string } | null> };
  /** After a cancel gave its seat back (maybe to a waiting fan): record and announce offers without waiting for the ticker. */
  onSeatGivenBack?: (concertId: string) => void;
  /** Refusals decided here, counted with their reason (the worker counts its own). */
  metrics: BookingMetrics;
  logger: Logger;
}

/** What POST /bookings answers: 202 while queued, 201 with the booking, or an error. */
export type SubmitAnswer = { status: 202; body: { requestId: string; status: 'queued' } } | { status: 201; body: PublicBooking };

const REASON_ERROR: Record<RejectionReason, ErrorCode> = {
  concert_started: 'concert_started',
  sales_closed: 'sales_closed',
  seat_type_closed: 'seat_type_closed',
  already_booked: 'already_booked',
  sold_out: 'sold_out',
  not_found: 'not_found',
  service_unavailable: 'service_unavailable',
  offer_not_open: 'offer_not_open',
};

function answerOf(requestId: string, decision: DecisionDoc | null): SubmitAnswer {
  if (!decision) return { status: 202, body: { requestId, status: 'queued' } };
  if (decision.status !== 'rejected') return { status: 201, body: toPublicBooking(decision) };
  throw new AppError(REASON_ERROR[decision.reason], undefined, { requestId });
}

/**
 * How long "still queued" read from the record is answered again without reading it:
 * fans poll, and every poll of an undecided request was a MongoDB read (a storm of
 * REST-polling fans halved the decisions FerretDB could record). The entry goes at
 * once when the request's job finishes (BullMQ's completed event, after the decision
 * is recorded), so a poll sees a decision at most this stale only if that event was missed.
 */
const UNDECIDED_FOR_MS = 2000;

export function createBookingService(deps: BookingServiceDeps) {
  const { bookings, ledger, waiter, inventory, loader, concerts, logger } = deps;
  const undecided = new LruMap<string, { owner: string; until: number }>(100_000);
  // When each request's job finished lately: a read that began before then must not be remembered.
  const settledAt = new LruMap<string, number>(100_000);
  // Refusals this process heard of from the jobs that recorded them. A refusal never
  // changes (a booking can be cancelled, a rejection is final), so a poll of a refused
  // request is answered from here instead of a MongoDB read: in a sell-out most fans
  // are refused, and a storm of REST-polling fans made FerretDB the bottleneck.
  const refusals = new LruMap<string, Decision>(100_000);
  waiter.onSettled((requestId, decision) => {
    undecided.delete(requestId);
    settledAt.set(requestId, Date.now());
    if (decision?.status === 'rejected' && decision.requestId === requestId) refusals.set(requestId, decision);
  });

  /** Rethrows a refusal at the door after counting it (only the refusal it names: other failures pass uncounted). */
  const countedAs = (reason: GateRefusal) => (err: unknown) => {
    if (err instanceof AppError && err.code === reason) deps.metrics.refusedAtGate(reason);
    throw err;
  };

  async function awaitAnswer(requestId: string, waitSeconds: number | undefined): Promise<SubmitAnswer> {
    if (!waitSeconds) return answerOf(requestId, null);
    return answerOf(requestId, await waiter.wait(requestId, waitSeconds * 1000));
  }

  /**
   * Queues the job of an accepted request. The request is in the record already,
   * so a failure here loses nothing: the reconciler queues every accepted request
   * that has neither a decision nor a job. The fan is answered 202 either way.
   */
  async function enqueue(job: ReserveJobData) {
    const [hinted, queued] = await Promise.allSettled([deps.hints.accepted(job.requestId), deps.enqueue(job)]);
    if (queued.status === 'rejected') {
      const err = queued.reason as Error;
      logger.warn({ err: err.message, requestId: job.requestId, hinted: hinted.status }, 'booking job not queued; the reconciler will queue it');
    }
  }

  /** A retry of an Idempotency-Key: the first request's answer, never a second request. */
  async function replay(earlier: BookingRequestDoc, body: { concertId: string; seatTypeId: string }, waitSeconds: number | undefined) {
    if (earlier.concertId !== body.concertId || earlier.seatTypeId !== body.seatTypeId) throw new AppError('idempotency_key_reused');
    const requestId = String(earlier._id);
    const decision = await ledger.findDecision(requestId);
    if (decision) return answerOf(requestId, decision);
    // Accepted and undecided: make sure its job exists (the first try may have died before queueing it).
    await enqueue(jobOf(earlier));
    return awaitAnswer(requestId, waitSeconds);
  }

  /** The same Idempotency-Key raced in from another connection and the record kept that one: answer as its replay. */
  async function replayRaced(
    user: AuthenticatedUser,
    body: { concertId: string; seatTypeId: string },
    opts: { idempotencyKey?: string; waitSeconds?: number },
  ) {
    const earlier = opts.idempotencyKey ? await ledger.findByKey(user.id, opts.idempotencyKey) : null;
    if (earlier) return replay(earlier, body, opts.waitSeconds);
    throw new AppError('service_unavailable', 'The booking request could not be recorded; try again');
  }

  /**
   * Concert and seat type must exist; returns a refusal known without the queue, by
   * Redis's clock, from `peeked` (the look sent together with the rate limit).
   */
  async function refusalBeforeQueue(concertId: string, seatTypeId: string, peeked: Promise<BookablePeek>, accepting: boolean) {
    const concert = await concerts.get(concertId, seatTypeId);
    if (!concert) throw new AppError('not_found', 'No such concert');
    if (!concert.seatTypes.some((s) => String(s._id) === seatTypeId)) throw new AppError('not_found', 'No such seat type for this concert');
    const peek = await peeked;
    if (!peek.loaded) return undefined;
    const reason: RejectionReason | undefined = peek.started
      ? 'concert_started'
      : peek.cutOff
        ? REJECTION_BY_CODE[peek.cutOff]
        : peek.holds
          ? 'already_booked'
          : peek.remaining === 0 && !accepting
            ? 'sold_out'
            : undefined;
    return reason && { reason, decidedAt: peek.now };
  }

  /** Gives the seat of a cancelled booking back and queues its email; every step idempotent, so any retry finishes the job. */
  async function finishCancel(booking: BookingDoc) {
    const bookingId = String(booking._id);
    await inventory.release(booking.concertId, booking.seatTypeId, booking.userId, bookingId);
    deps.onSeatGivenBack?.(booking.concertId);
    await enqueueBookingEmail(deps.notifications, 'cancelled', booking, await concerts.get(booking.concertId)).catch((err) =>
      logger.error({ err, bookingId }, 'cancellation email not queued; the reconciler will queue it'),
    );
  }

  /**
   * The caller's booking (any booking for an admin). Another fan's answers exactly
   * like none at all: booking ids are consecutive ObjectIds, so a 403 would tell
   * which ids are booked (issue 18).
   */
  async function visibleBooking(user: AuthenticatedUser, id: string): Promise<BookingDoc> {
    const booking = await bookings.findById(id);
    if (!booking || (booking.userId !== user.id && user.role !== 'admin')) throw new AppError('not_found', 'No such booking');
    return booking;
  }

  return {
    async submit(
      user: AuthenticatedUser,
      body: { concertId: string; seatTypeId: string; offerId?: string },
      opts: { idempotencyKey?: string; waitSeconds?: number; admissionToken?: string },
    ): Promise<SubmitAnswer> {
      // A replay is answered from the record and not counted against the fan's limit.
      if (opts.idempotencyKey) {
        const earlier = await ledger.findByKey(user.id, opts.idempotencyKey);
        if (earlier) return replay(earlier, body, opts.waitSeconds);
      }
      // The rate limit and the cheap look at the stock leave in one write (the
      // connection pipelines commands of one tick): one Redis round trip, not two.
      // The look changes nothing, so it may go first; its answer is used only once
      // the limit allowed the request (and the concert exists).
      const peeked = inventory.peek(body.concertId, body.seatTypeId, user.id);
      peeked.catch(() => undefined);
      await deps.limiter.hit(deps.submitLimit, user.id).catch(countedAs('rate_limited'));
      const request = {
        requestId: new Types.ObjectId().toHexString(),
        userId: user.id,
        userEmail: user.email,
        concertId: body.concertId,
        seatTypeId: body.seatTypeId,
        idempotencyKey: opts.idempotencyKey,
        submittedAt: new Date(),
        ...(body.offerId ? { offerId: body.offerId } : {}),
      };

      // A concert with a waiting room takes bookings only from admitted fans, one booking per admission; the fan's
      // slot stays taken until the booking is decided. An offer held for this fan is the admission: no line to pass.
      const concert = await concerts.get(body.concertId);
      let admitted = false;
      if (body.offerId) {
        const offer = await deps.offers.offer(body.concertId, body.offerId);
        if (!offer || offer.userId !== user.id || offer.seatTypeId !== body.seatTypeId) throw new AppError('offer_not_open');
      } else if (concert)
        admitted = await deps.admission
          .require(user.id, { id: body.concertId, waitingRoomEnabled: Boolean(concert.waitingRoom?.enabled) }, opts.admissionToken, opts.idempotencyKey)
          .catch(countedAs('admission_required'));

      // Cheap refusals that need no queue; the Lua script stays the one that decides.
      const early = await refusalBeforeQueue(body.concertId, body.seatTypeId, peeked, Boolean(body.offerId));
      if (early) {
        if (admitted)
          await deps.admission
            .release(body.concertId, user.id)
            .catch((err: Error) => logger.warn({ err: err.message, concertId: body.concertId }, 'admission slot not freed (it frees itself)'));
        const remembered = opts.idempotencyKey ? await ledger.acceptRejected(request, early.reason, early.decidedAt) : 'inserted';
        if (remembered === 'duplicate') return replayRaced(user, body, opts);
        deps.metrics.decidedEarly(body.concertId, early.reason);
        throw new AppError(REASON_ERROR[early.reason], undefined, { requestId: request.requestId });
      }

      // Durable before the fan hears 202: from here on the request gets a decision whatever fails.
      if ((await ledger.accept(request)) === 'duplicate') return replayRaced(user, body, opts);
      await enqueue({ ...request, submittedAt: request.submittedAt.getTime(), ...(admitted ? { admitted: true as const } : {}) });
      return awaitAnswer(request.requestId, opts.waitSeconds);
    },

    /** Read from the record only: the decision if there is one, else the accepted request. */
    async requestStatus(user: AuthenticatedUser, requestId: string) {
      const id = requestId.toLowerCase();
      const owns = (userId: string) => userId === user.id || user.role === 'admin';
      const known = undecided.get(id);
      if (known && known.until > Date.now() && owns(known.owner)) return { requestId: id, status: 'queued' as const };
      const refusal = refusals.get(id);
      if (refusal) {
        // The owner is remembered for requests accepted here, so this usually reads nothing.
        const owner = await ledger.ownerOf(id);
        if (owner && owns(owner)) return refusal;
      }
      const readAt = Date.now();
      const decision = await ledger.findDecision(id);
      if (decision && owns(decision.userId)) return decisionOf(decision);
      const owner = decision ? null : await ledger.ownerOf(id);
      if (owner && (settledAt.get(id) ?? 0) < readAt) undecided.set(id, { owner, until: Date.now() + UNDECIDED_FOR_MS });
      if (owner && owns(owner)) return { requestId: id, status: 'queued' as const };
      throw new AppError('not_found', 'No such booking request');
    },

    async mine(user: AuthenticatedUser, limit: number, offset: number) {
      return (await bookings.listByUser(user.id, limit, offset)).map(toPublicBooking);
    },

    async get(user: AuthenticatedUser, id: string) {
      return toPublicBooking(await visibleBooking(user, id));
    },

    /**
     * Cancels in three steps so the seat can never have two holders in the record:
     * begin-cancel-3.lua decides (exact cut-off, inside Redis), MongoDB records it,
     * then release-seat-9.lua gives the seat back. The record says how far a cancel
     * got: one that stopped after MongoDB is finished by a retry or by the reconciler.
     */
    async cancel(user: AuthenticatedUser, id: string): Promise<PublicBooking> {
      const booking = await visibleBooking(user, id);
      if (booking.status === 'cancelled') {
        await finishCancel(booking);
        throw new AppError('already_cancelled');
      }
      const bookingId = String(booking._id);

      let begun = await inventory.beginCancel(booking.concertId, booking.userId, bookingId);
      if (begun.code === BeginCancelCode.NotLoaded) {
        await loader.ensureLoaded(booking.concertId);
        begun = await inventory.beginCancel(booking.concertId, booking.userId, bookingId);
      }
      if (begun.code === BeginCancelCode.ConcertStarted) throw new AppError('concert_started');
      if (begun.code === BeginCancelCode.InProgress) throw new AppError('already_cancelled', 'This booking is being cancelled');
      if (begun.code === BeginCancelCode.Ok) {
        // Should this process stop after MongoDB says cancelled, the reconciler finishes the cancel.
        await deps.hints.cancelling(bookingId).catch((err: Error) => logger.warn({ err: err.message, bookingId }, 'cancel not noted for the reconciler'));
      } else {
        const now = await bookings.findById(bookingId);
        if (now?.status === 'cancelled') {
          await finishCancel(now);
          throw new AppError('already_cancelled');
        }
        logger.error({ bookingId, code: begun.code }, 'confirmed booking has no hold in Redis');
        throw new AppError('service_unavailable', 'The booking cannot be cancelled right now; try again shortly');
      }

      let cancelled: BookingDoc | null;
      try {
        cancelled = await bookings.markCancelled(bookingId, begun.decidedAt);
      } catch (err) {
        // The update may have landed with its reply lost: the record says which.
        const now = await bookings.findById(bookingId).catch(() => undefined);
        if (now?.status === 'confirmed') await inventory.abortCancel(booking.concertId, booking.userId, bookingId);
        if (now?.status !== 'cancelled') throw err;
        cancelled = now;
      }
      if (!cancelled) {
        // Cancelled meanwhile by another request (an admin): finish what it may not have.
        const now = await bookings.findById(bookingId);
        if (now?.status === 'cancelled') await finishCancel(now);
        throw new AppError('already_cancelled');
      }
      await finishCancel(cancelled);
      return toPublicBooking(cancelled);
    },
  };
}

export type BookingService = ReturnType<typeof createBookingService>;

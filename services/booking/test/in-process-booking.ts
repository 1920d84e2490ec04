import { freeAdmissionSlot } from '../../../lib/admission-token.js';
/**
 * The booking service, its reconciler and a booking worker, built in-process of
 * the real parts on one shared redis-server and FerretDB (test/support/stores.ts),
 * so a test can wrap any dependency to inject a fault exactly where it wants one.
 */
import { Queue, QueueEvents, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { createAdmissionGate } from '../../../lib/admission-token.js';
import type { Decision } from '../../../lib/booking-requests.js';
import { createInventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import { createInventory, type Inventory } from '../../../lib/inventory/inventory.js';
import { createLogger } from '../../../lib/logger.js';
import { QUEUES, type ReserveJobData } from '../../../lib/queues.js';
import { createRateLimiter } from '../../../lib/rate-limiter.js';
import { createConcertCache } from '../../../lib/records/concert-cache.js';
import { concertModel } from '../../../lib/records/concert.record.js';
import type { AuthenticatedUser } from '../../../lib/request-context.js';
import type { TestStores } from '../../../test/support/stores.js';
import { newId } from '../../../test/support/stores.js';
import { createBookingDecider } from '../../../workers/booking/booking-decision.js';
import { createWaitingList, type WaitingList } from '../../../lib/waiting-list/waiting-list.js';
import { createBookingRecorder } from '../../../workers/booking/booking-recorder.js';
import { startBookingWorker } from '../../../workers/booking/booking.worker.js';
import { bookingJobQueuer } from '../booking-queue.js';
import { createBookingReconciler, reconcilerHints, type ReconcilerOptions } from '../booking-reconciler.js';
import { createBookingRepository, type BookingRepository } from '../booking.repository.js';
import { NO_BOOKING_METRICS } from '../booking.metrics.js';
import { createBookingService, type BookingServiceDeps } from '../booking.service.js';
import { createDecisionWaiter } from '../decision-waiter.js';
import { createRequestLedger, type RequestLedger } from '../request-ledger.js';

export const logger = createLogger('booking-in-process-test', 'silent');

export interface InProcessBooking {
  conn: Connection;
  redis: Redis;
  inventory: Inventory;
  lists: WaitingList;
  loader: ReturnType<typeof createInventoryLoader>;
  concerts: ReturnType<typeof createConcertCache>;
  bookings: BookingRepository;
  ledger: RequestLedger;
  queue: Queue;
  notifications: Queue;
  enqueue: (job: ReserveJobData) => Promise<unknown>;
  /** Every answer the worker told a fan, in order. */
  published: Decision[];
  /** A booking service whose dependencies `wrap` may replace (to inject faults). */
  service(wrap?: (deps: BookingServiceDeps) => BookingServiceDeps): ReturnType<typeof createBookingService>;
  reconciler(opts?: Partial<ReconcilerOptions>, deps?: { enqueue?: (job: ReserveJobData) => Promise<unknown> }): ReturnType<typeof createBookingReconciler>;
  stop(): Promise<void>;
}

/** One database for the file: every test uses concerts and fans of its own. */
export async function startInProcessBooking(stores: TestStores, dbName: string): Promise<InProcessBooking> {
  const conn = await stores.database(dbName);
  const redis = stores.redis();
  const inventory = createInventory(redis);
  const bookings = createBookingRepository(conn);
  await bookings.ensureIndexes();
  const ledger = createRequestLedger(conn, { maxBatch: 50, maxWaitMs: 2 });
  await ledger.ensureIndexes();
  const concerts = concertModel(conn);
  const queue = new Queue(QUEUES.bookings.name, { connection: stores.redis(), prefix: QUEUES.bookings.prefix });
  const notifications = new Queue(QUEUES.notifications.name, { connection: stores.redis(), prefix: QUEUES.notifications.prefix });
  const queueEvents = new QueueEvents(QUEUES.bookings.name, { connection: stores.redis(), prefix: QUEUES.bookings.prefix });
  await queueEvents.waitUntilReady();
  const enqueue = bookingJobQueuer(queue, { attempts: 3, backoffMs: 100 });
  const loader = createInventoryLoader(redis, inventory, concerts, bookings.model, logger);
  const concertCache = createConcertCache(concerts, 2000);
  const published: Decision[] = [];
  const lists = createWaitingList(redis);
  const recorder = createBookingRecorder(bookings.model, logger, { maxBatch: 50, maxWaitMs: 2 });
  const decider = createBookingDecider({
    inventory,
    loader,
    recorder,
    concerts: concertCache,
    publisher: { publish: (_userId: string, decision: Decision) => void published.push(decision) },
    notifications,
    offers: lists,
    logger,
    freeAdmissionSlot: (concertId, fanId) => freeAdmissionSlot(redis, concertId, fanId),
  });
  const worker: Worker = startBookingWorker(stores.redis(), decider, logger, { concurrency: 4, lockDurationMs: 30_000, stalledIntervalMs: 30_000 });
  await worker.waitUntilReady();
  const reconcilers: Array<ReturnType<typeof createBookingReconciler>> = [];

  return {
    conn,
    redis,
    inventory,
    lists,
    loader,
    concerts: concertCache,
    bookings,
    ledger,
    queue,
    notifications,
    enqueue,
    published,
    service(wrap = (deps) => deps) {
      return createBookingService(
        wrap({
          bookings,
          ledger,
          waiter: createDecisionWaiter(queueEvents, (id) => ledger.findDecision(id)),
          inventory,
          loader,
          concerts: concertCache,
          admission: createAdmissionGate(redis, 'in-process-test-admission-secret-0123456789'),
          limiter: createRateLimiter(redis),
          submitLimit: { name: 'booking-submit', limit: 1000, windowMs: 60_000 },
          enqueue,
          hints: reconcilerHints(redis),
          notifications,
          offers: lists,
          metrics: NO_BOOKING_METRICS,
          logger,
        }),
      );
    },
    reconciler(opts = {}, deps = {}) {
      const reconciler = createBookingReconciler(
        {
          redis: stores.redis(),
          requests: ledger.requests,
          bookings: bookings.model,
          enqueue: deps.enqueue ?? enqueue,
          queue,
          notifications,
          inventory,
          concerts: concertCache,
          logger,
        },
        { everyMs: 60_000, settleAfterMs: 50, fullWindowMs: 3_600_000, fullEveryMs: 60_000, ...opts },
      );
      reconcilers.push(reconciler);
      return reconciler;
    },
    async stop() {
      await Promise.all(reconcilers.map((r) => r.stop()));
      await worker.close();
      await Promise.all([queueEvents.close(), queue.close(), notifications.close()]);
      await recorder.drain();
      await ledger.drain();
      await inventory.close();
    },
  };
}

export function fan(): AuthenticatedUser {
  const id = newId();
  return { id, role: 'fan', email: `${id}@test.local` };
}

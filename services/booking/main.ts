import { Queue, QueueEvents } from 'bullmq';
import { createAdmissionGate } from '../../lib/admission-token.js';
import { accessTokenVerifier } from '../../lib/auth-middleware.js';
import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { createServiceApp, startHttpService } from '../../lib/http-service.js';
import { createInventory } from '../../lib/inventory/inventory.js';
import { createInventoryLoader } from '../../lib/inventory/inventory-loader.js';
import { timeInventoryScripts } from '../../lib/inventory/inventory.metrics.js';
import { createConcertLabels, mongoConcertCatalogue } from '../../lib/concert-labels.js';
import { createLogger } from '../../lib/logger.js';
import { connectMongo, pingMongo } from '../../lib/mongo.js';
import { QUEUES } from '../../lib/queues.js';
import { createConcertCache } from '../../lib/records/concert-cache.js';
import { concertModel } from '../../lib/records/concert.record.js';
import { createRedis, pingRedis } from '../../lib/redis.js';
import { startRevokedUsers } from '../../lib/revoked-users.js';
import { bookingConfigSchema } from './booking.config.js';
import { createBookingRepository } from './booking.repository.js';
import { createBookingMetrics } from './booking.metrics.js';
import { bookingRoutes } from './booking.routes.js';
import { createConcertBookings } from './concert-bookings.js';
import { createBookingService } from './booking.service.js';
import { createRateLimiter } from '../../lib/rate-limiter.js';
import { createBookingReconciler, reconcilerHints } from './booking-reconciler.js';
import { bookingJobQueuer, KEEP_FINISHED_JOBS_SECONDS } from './booking-queue.js';
import { createDecisionWaiter } from './decision-waiter.js';
import { attachRealtime } from './realtime.js';
import { registerRealtimeMetrics } from './realtime.metrics.js';
import { createRequestLedger } from './request-ledger.js';
import { fanRoom } from '../../lib/booking-requests.js';
import { createWaitingListComponent } from './waiting-list/waiting-list.component.js';
import { waitingListMetrics } from './waiting-list/waiting-list.metrics.js';
import { waitingListRoutes } from './waiting-list/waiting-list.routes.js';

boot('booking', async () => {
  const config = loadConfig(bookingConfigSchema);
  const logger = createLogger('booking', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger, undefined, { warmConnections: 10 });
  const redis = createRedis(config.REDIS_URL, logger, 'booking', { pipelined: true });
  const queueEventsConnection = createRedis(config.REDIS_URL, logger, 'booking-queue-events', { blocking: true });
  const socketPub = createRedis(config.REDIS_URL, logger, 'booking-socket-pub');
  const socketSub = createRedis(config.REDIS_URL, logger, 'booking-socket-sub', { subscriber: true });
  const revokedUsers = await startRevokedUsers(redis, config.REDIS_URL, logger);
  const tokens = accessTokenVerifier(config.JWT_PUBLIC_KEY, revokedUsers);

  const bookings = createBookingRepository(mongo);
  await bookings.ensureIndexes();
  const concerts = concertModel(mongo);
  const serviceApp = createServiceApp('booking', logger, { clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  const inventory = timeInventoryScripts(createInventory(redis), serviceApp.metrics.registry);
  const queue = new Queue(QUEUES.bookings.name, { connection: redis, prefix: QUEUES.bookings.prefix });
  const notifications = new Queue(QUEUES.notifications.name, { connection: redis, prefix: QUEUES.notifications.prefix });
  const ledger = createRequestLedger(mongo, { maxBatch: config.REQUEST_BATCH_SIZE, maxWaitMs: config.REQUEST_BATCH_WAIT_MS });
  await ledger.ensureIndexes();
  const queueEvents = new QueueEvents(QUEUES.bookings.name, { connection: queueEventsConnection, prefix: QUEUES.bookings.prefix });
  const enqueue = bookingJobQueuer(queue, { attempts: config.BOOKING_JOB_ATTEMPTS, backoffMs: config.BOOKING_JOB_BACKOFF_MS });
  const concertCache = createConcertCache(concerts, 2000);
  const concertLabels = createConcertLabels(serviceApp.metrics.registry, mongoConcertCatalogue(concerts), {
    onError: (err) => logger.warn({ err }, 'concert labels not refreshed'),
  });
  const loader = createInventoryLoader(redis, inventory, concerts, bookings.model, logger);
  let io: ReturnType<typeof attachRealtime> | undefined;
  const waitingList = await createWaitingListComponent(
    {
      redis,
      mongo,
      bookings: bookings.model,
      inventory,
      loader,
      concerts: concertCache,
      notifications,
      emit: (userId, event, payload) => void io?.to(fanRoom(userId)).emit(event, payload),
      metrics: waitingListMetrics(serviceApp.metrics.registry),
      logger,
    },
    { everyMs: config.WAITING_LIST_TICK_MS, recordEveryMs: config.WAITING_LIST_RECORD_EVERY_MS },
  );
  const service = createBookingService({
    bookings,
    ledger,
    waiter: createDecisionWaiter(queueEvents, (id) => ledger.findDecision(id)),
    inventory,
    loader,
    concerts: concertCache,
    admission: createAdmissionGate(redis, config.ADMISSION_TOKEN_SECRET),
    limiter: createRateLimiter(redis),
    submitLimit: { name: 'booking-submit', limit: config.BOOKING_SUBMIT_LIMIT, windowMs: config.BOOKING_SUBMIT_WINDOW_MS },
    enqueue,
    hints: reconcilerHints(redis),
    notifications,
    offers: waitingList.lists,
    onSeatGivenBack: (concertId) => waitingList.announcer.soon(concertId),
    metrics: createBookingMetrics(serviceApp.metrics.registry, concertLabels),
    logger,
  });
  const reconciler = createBookingReconciler(
    { redis, requests: ledger.requests, bookings: bookings.model, enqueue, queue, notifications, inventory, concerts: concertCache, logger },
    {
      everyMs: config.RECONCILE_EVERY_MS,
      settleAfterMs: config.RECONCILE_SETTLE_AFTER_MS,
      fullWindowMs: KEEP_FINISHED_JOBS_SECONDS * 1000,
      fullEveryMs: config.RECONCILE_FULL_EVERY_MS,
    },
  );

  serviceApp.app.use('/api/v1/bookings', bookingRoutes(service, createConcertBookings(bookings.model, concertCache), tokens));
  serviceApp.app.use('/api/v1/waiting-lists', waitingListRoutes(waitingList.service, tokens));
  registerRealtimeMetrics(serviceApp.metrics.registry, () => io);
  await startHttpService({
    name: 'booking',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: { mongo: () => pingMongo(mongo), redis: () => pingRedis(redis) },
    shutdown: [
      async () => void (await io?.close()),
      () => reconciler.stop(),
      () => waitingList.ticker.stop(),
      () => Promise.resolve(concertLabels.close()),
      () => ledger.drain(),
      () => queueEvents.close(),
      () => queue.close(),
      () => notifications.close(),
      () => inventory.close(),
      () => revokedUsers.close(),
      ...[queueEventsConnection, socketSub, socketPub, redis].map((c) => () => c.quit()),
      () => mongo.close(),
    ],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    attach: (server) => {
      // Only lines that take fans can be watched: a random concert id costs one cached read and no presence writes.
      const lineIsOpen = async (concertId: string) => {
        const concert = await concertCache.get(concertId);
        return Boolean(concert?.waitingRoom?.enabled) && concert!.startsAt.getTime() > Date.now();
      };
      io = attachRealtime(server, socketPub, socketSub, { tokens, revokedUsers }, config.CORS_ORIGINS, logger, {
        isOpen: lineIsOpen,
        watchesPerIp: config.WAITING_ROOM_WATCHES_PER_IP,
        clientAddressSecret: config.CLIENT_ADDRESS_SECRET,
      });
    },
  });
});

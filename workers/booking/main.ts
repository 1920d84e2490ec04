import { freeAdmissionSlot } from '../../lib/admission-token.js';
import { Emitter } from '@socket.io/redis-emitter';
import { Queue } from 'bullmq';
import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { createServiceApp, startHttpService } from '../../lib/http-service.js';
import { createInventory } from '../../lib/inventory/inventory.js';
import { createInventoryLoader } from '../../lib/inventory/inventory-loader.js';
import { timeInventoryScripts } from '../../lib/inventory/inventory.metrics.js';
import { createConcertLabels, mongoConcertCatalogue } from '../../lib/concert-labels.js';
import { createLogger } from '../../lib/logger.js';
import { connectMongo, pingMongo } from '../../lib/mongo.js';
import { registerQueueMetrics } from '../../lib/queue-metrics.js';
import { QUEUES } from '../../lib/queues.js';
import { bookingModel } from '../../lib/records/booking.record.js';
import { concertModel } from '../../lib/records/concert.record.js';
import { createRedis, pingRedis } from '../../lib/redis.js';
import { createBookingDecider } from './booking-decision.js';
import { createBookingRecorder } from './booking-recorder.js';
import { bookingWorkerConfigSchema } from './booking-worker.config.js';
import { startBookingWorker } from './booking.worker.js';
import { createConcertCache } from '../../lib/records/concert-cache.js';
import { createWaitingList } from '../../lib/waiting-list/waiting-list.js';
import { createDecisionPublisher } from './decision-publisher.js';
import { createStockBroadcaster } from './stock-broadcaster.js';
import { createWorkerMetrics, registerStockMetrics } from './worker.metrics.js';

boot('booking-worker', async () => {
  const config = loadConfig(bookingWorkerConfigSchema);
  const logger = createLogger('booking-worker', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger, undefined, { warmConnections: 10 });
  const redis = createRedis(config.REDIS_URL, logger, 'booking-worker', { pipelined: true });
  const queueConnection = createRedis(config.REDIS_URL, logger, 'booking-worker-queue', { blocking: true, pipelined: true });

  const bookings = bookingModel(mongo);
  await bookings.createIndexes();
  const concerts = concertModel(mongo);
  const serviceApp = createServiceApp('booking-worker', logger);
  const inventory = timeInventoryScripts(createInventory(redis), serviceApp.metrics.registry);
  const loader = createInventoryLoader(redis, inventory, concerts, bookings, logger);
  const recorder = createBookingRecorder(bookings, logger, { maxBatch: config.RECORD_BATCH_SIZE, maxWaitMs: config.RECORD_BATCH_WAIT_MS });
  const notifications = new Queue(QUEUES.notifications.name, { connection: redis, prefix: QUEUES.notifications.prefix });
  const concertLabels = createConcertLabels(serviceApp.metrics.registry, mongoConcertCatalogue(concerts), {
    onError: (err) => logger.warn({ err }, 'concert labels not refreshed'),
  });
  const metrics = createWorkerMetrics(serviceApp.metrics.registry, concertLabels);
  const queueMetrics = registerQueueMetrics(serviceApp.metrics.registry, redis, logger);
  const emitter = new Emitter(redis);
  const concertCache = createConcertCache(concerts);
  const stock = createStockBroadcaster(inventory, concertCache, emitter, logger);
  registerStockMetrics(serviceApp.metrics.registry, inventory, concertCache, concertLabels, logger);

  const decider = createBookingDecider({
    inventory,
    loader,
    recorder,
    concerts: concertCache,
    publisher: createDecisionPublisher(emitter),
    notifications,
    offers: createWaitingList(redis),
    logger,
    onDecision: (data, decision) => {
      metrics.onDecision(data, decision);
      if (decision.status === 'confirmed') stock.changed(data.concertId);
    },
    freeAdmissionSlot: (concertId, fanId) => freeAdmissionSlot(redis, concertId, fanId),
  });
  const worker = startBookingWorker(queueConnection, decider, logger, {
    concurrency: config.WORKER_CONCURRENCY,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
  });

  await startHttpService({
    name: 'booking-worker',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: {
      mongo: () => pingMongo(mongo),
      redis: () => pingRedis(redis),
      // A worker that stopped consuming is unhealthy (the old check threw its rejection away and said ok).
      worker: () => (worker.isRunning() ? Promise.resolve() : Promise.reject(new Error('not running'))),
    },
    // Stop taking jobs and let the running ones finish, then flush their writes.
    shutdown: [
      () => worker.close(),
      () => recorder.drain(),
      () => new Promise<void>((resolve) => resolve(stock.stop())),
      () => notifications.close(),
      () => queueMetrics.close(),
      () => Promise.resolve(concertLabels.close()),
      () => inventory.close(),
      () => queueConnection.quit(),
      () => redis.quit(),
      () => mongo.close(),
    ],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});

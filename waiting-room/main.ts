import { Emitter } from '@socket.io/redis-emitter';
import { createAuditLog } from '../lib/audit-log.js';
import { accessTokenVerifier } from '../lib/auth-middleware.js';
import { boot } from '../lib/boot.js';
import { loadConfig } from '../lib/config.js';
import { createServiceApp, startHttpService } from '../lib/http-service.js';
import { createInventory } from '../lib/inventory/inventory.js';
import { createInventoryLoader } from '../lib/inventory/inventory-loader.js';
import { createLogger } from '../lib/logger.js';
import { connectMongo, pingMongo } from '../lib/mongo.js';
import { bookingModel } from '../lib/records/booking.record.js';
import { createConcertLabels, mongoConcertCatalogue } from '../lib/concert-labels.js';
import { createConcertCache } from '../lib/records/concert-cache.js';
import { concertModel } from '../lib/records/concert.record.js';
import { createRedisLocks } from '../lib/redis-lock.js';
import { createRateLimiter } from '../lib/rate-limiter.js';
import { createRedis, pingRedis } from '../lib/redis.js';
import { startRevokedUsers } from '../lib/revoked-users.js';
import { createLineControls } from './line-controls.js';
import { startLineTicker } from './line-ticker.js';
import { createLineRepository } from './line.repository.js';
import { waitingRoomConfigSchema } from './waiting-room.config.js';
import { createWaitingRoomMetrics } from './waiting-room.metrics.js';
import { fanPageRoutes, waitingRoomRoutes } from './waiting-room.routes.js';
import { createWaitingRoomService } from './waiting-room.service.js';

boot('waiting-room', async () => {
  const config = loadConfig(waitingRoomConfigSchema);
  const logger = createLogger('waiting-room', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const redis = createRedis(config.REDIS_URL, logger, 'waiting-room');
  const revokedUsers = await startRevokedUsers(redis, config.REDIS_URL, logger);

  const concerts = createConcertCache(concertModel(mongo), 5000);
  const lines = createLineRepository(redis);
  const inventory = createInventory(redis);
  const defaults = {
    admitPerSecond: config.DEFAULT_ADMIT_PER_SECOND,
    claimWindowSeconds: config.DEFAULT_CLAIM_WINDOW_SECONDS,
    graceSeconds: config.DEFAULT_GRACE_SECONDS,
  };
  const serviceApp = createServiceApp('waiting-room', logger, { clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  const concertLabels = createConcertLabels(serviceApp.metrics.registry, mongoConcertCatalogue(concertModel(mongo)), {
    onError: (err) => logger.warn({ err }, 'concert labels not refreshed'),
  });
  const metrics = createWaitingRoomMetrics(serviceApp.metrics.registry, concertLabels);
  const service = createWaitingRoomService({
    lines,
    concerts,
    tokenSecret: config.ADMISSION_TOKEN_SECRET,
    defaults,
    statusCacheMs: config.STATUS_CACHE_MS,
    joinLimiter: createRateLimiter(redis),
    joinLimitPerIp: { limit: config.WAITING_ROOM_JOIN_LIMIT_PER_IP, windowMs: config.WAITING_ROOM_JOIN_WINDOW_MS },
    joinLimitPerAccount: { limit: config.WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT, windowMs: config.WAITING_ROOM_JOIN_WINDOW_MS },
    metrics,
    logger,
  });

  const audit = createAuditLog(mongo);
  await audit.ensureIndexes();
  const controls = createLineControls({ lines, concerts, records: concertModel(mongo), audit, defaults });
  serviceApp.app.use('/api/v1/waiting-room', waitingRoomRoutes(service, controls, accessTokenVerifier(config.JWT_PUBLIC_KEY, revokedUsers)));
  serviceApp.app.use('/waiting-room', fanPageRoutes());

  const ticker = startLineTicker({
    lines,
    locks: createRedisLocks(redis),
    concerts,
    inventory,
    loader: createInventoryLoader(redis, inventory, concertModel(mongo), bookingModel(mongo), logger),
    // The waiting room raises events only; the booking service's Socket.IO nodes deliver them.
    emitter: new Emitter(redis),
    tokenSecret: config.ADMISSION_TOKEN_SECRET,
    defaults,
    tickMs: config.WAITING_ROOM_TICK_MS,
    updateMs: config.WAITING_ROOM_UPDATE_MS,
    metrics,
    logger,
  });

  await startHttpService({
    name: 'waiting-room',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: { mongo: () => pingMongo(mongo), redis: () => pingRedis(redis) },
    shutdown: [
      () => ticker.stop(),
      () => service.stop(),
      () => Promise.resolve(concertLabels.close()),
      () => inventory.close(),
      () => revokedUsers.close(),
      () => redis.quit(),
      () => mongo.close(),
    ],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});

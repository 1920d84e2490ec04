import { createAuditLog } from '../../lib/audit-log.js';
import { accessTokenVerifier } from '../../lib/auth-middleware.js';
import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { createServiceApp, startHttpService } from '../../lib/http-service.js';
import { createInventory } from '../../lib/inventory/inventory.js';
import { createInventoryLoader } from '../../lib/inventory/inventory-loader.js';
import { createLogger } from '../../lib/logger.js';
import { connectMongo, pingMongo } from '../../lib/mongo.js';
import { bookingModel } from '../../lib/records/booking.record.js';
import { createRedisLocks } from '../../lib/redis-lock.js';
import { createRedis, pingRedis } from '../../lib/redis.js';
import { createWaitingList } from '../../lib/waiting-list/waiting-list.js';
import { startRevokedUsers } from '../../lib/revoked-users.js';
import { createConcertOperations } from './concert-operations.js';
import { soldCounter } from './concert-stats.js';
import { concertConfigSchema } from './concert.config.js';
import { createConcertRepository } from './concert.repository.js';
import { createConsoleCharts } from './console-charts.js';
import { consoleApiRoutes, consolePageRoutes } from './console.routes.js';
import { concertRoutes } from './concert.routes.js';
import { createConcertService } from './concert.service.js';

boot('concert', async () => {
  const config = loadConfig(concertConfigSchema);
  const logger = createLogger('concert', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const redis = createRedis(config.REDIS_URL, logger, 'concert');
  const revokedUsers = await startRevokedUsers(redis, config.REDIS_URL, logger);

  const concerts = createConcertRepository(mongo);
  await concerts.ensureIndexes();
  const inventory = createInventory(redis);
  const bookings = bookingModel(mongo);
  const loader = createInventoryLoader(redis, inventory, concerts.model, bookings, logger);
  const service = createConcertService(concerts, inventory, loader, createRedisLocks(redis));
  const audit = createAuditLog(mongo);
  await audit.ensureIndexes();
  const operations = createConcertOperations({
    concerts,
    service,
    inventory,
    loader,
    audit,
    sold: soldCounter(bookings),
    waitingList: createWaitingList(redis),
  });

  const serviceApp = createServiceApp('concert', logger, { clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  const tokens = accessTokenVerifier(config.JWT_PUBLIC_KEY, revokedUsers);
  serviceApp.app.use('/api/v1/concerts', concertRoutes(service, operations, tokens));
  serviceApp.app.use('/api/v1/admin', consoleApiRoutes(createConsoleCharts(config.PROMETHEUS_URL), tokens));
  serviceApp.app.use('/admin', consolePageRoutes());
  await startHttpService({
    name: 'concert',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: { mongo: () => pingMongo(mongo), redis: () => pingRedis(redis) },
    shutdown: [() => inventory.close(), () => revokedUsers.close(), () => redis.quit(), () => mongo.close()],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});

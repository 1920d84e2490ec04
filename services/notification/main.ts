import { accessTokenVerifier } from '../../lib/auth-middleware.js';
import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { createServiceApp, startHttpService } from '../../lib/http-service.js';
import { createLogger } from '../../lib/logger.js';
import { connectMongo, pingMongo } from '../../lib/mongo.js';
import { registerQueueMetrics } from '../../lib/queue-metrics.js';
import { createRedis, pingRedis } from '../../lib/redis.js';
import { startRevokedUsers } from '../../lib/revoked-users.js';
import { createEmailRepository } from './email.repository.js';
import { createMailTransport } from './mail.transport.js';
import { notificationConfigSchema, senderDomain } from './notification.config.js';
import { createNotificationMetrics } from './notification.metrics.js';
import { notificationRoutes } from './notification.routes.js';
import { createNotificationService } from './notification.service.js';
import { createNotificationWorker, notificationHandlers } from './notification.worker.js';

boot('notification', async () => {
  const config = loadConfig(notificationConfigSchema);
  const logger = createLogger('notification', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger, undefined, { warmConnections: 10 });
  const redis = createRedis(config.REDIS_URL, logger, 'notification-worker', { blocking: true, pipelined: true });
  const revokedUsers = await startRevokedUsers(redis, config.REDIS_URL, logger);

  const emails = createEmailRepository(mongo);
  await emails.ensureIndexes();
  const serviceApp = createServiceApp('notification', logger, { clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  const metrics = createNotificationMetrics(serviceApp.metrics.registry);
  const queueMetrics = registerQueueMetrics(serviceApp.metrics.registry, redis, logger);
  const transport = createMailTransport(config);
  const notifications = createNotificationService({
    emails,
    transport,
    metrics,
    logger,
    sender: { from: config.MAIL_FROM, domain: senderDomain(config.MAIL_FROM) },
    sendLeaseMs: config.NOTIFICATION_SEND_LEASE_SECONDS * 1000,
  });
  const worker = createNotificationWorker({
    handlers: notificationHandlers(notifications),
    connection: redis,
    concurrency: config.NOTIFICATION_CONCURRENCY,
    metrics,
    logger,
  });

  serviceApp.app.use('/api/v1/notifications', notificationRoutes(notifications, accessTokenVerifier(config.JWT_PUBLIC_KEY, revokedUsers)));
  await startHttpService({
    name: 'notification',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: { mongo: () => pingMongo(mongo), redis: () => pingRedis(redis) },
    // The worker first: it stops taking jobs and lets in-flight emails finish.
    shutdown: [
      () => worker.close(),
      () => new Promise<void>((resolve) => resolve(transport.close())),
      () => queueMetrics.close(),
      () => revokedUsers.close(),
      () => redis.quit(),
      () => mongo.close(),
    ],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  // Take jobs only once the HTTP side is up, so a failed start never leaves jobs half done.
  worker.run().catch((err) => logger.error({ err }, 'notification worker stopped'));
  logger.info({ transport: transport.kind, concurrency: config.NOTIFICATION_CONCURRENCY }, 'notification worker consuming');
});

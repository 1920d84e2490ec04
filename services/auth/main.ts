import { accessTokenVerifier } from '../../lib/auth-middleware.js';
import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { createServiceApp, startHttpService } from '../../lib/http-service.js';
import { createLogger } from '../../lib/logger.js';
import { connectMongo, pingMongo } from '../../lib/mongo.js';
import { createRateLimiter } from '../../lib/rate-limiter.js';
import { createRedis, pingRedis } from '../../lib/redis.js';
import { startRevokedUsers } from '../../lib/revoked-users.js';
import { authConfigSchema } from './auth.config.js';
import { authRoutes } from './auth.routes.js';
import { createAuthService } from './auth.service.js';
import { createLoginLimits } from './login-limits.js';
import { createTokenService } from './token.service.js';
import { createUserRepository } from './user.repository.js';

boot('auth', async () => {
  const config = loadConfig(authConfigSchema);
  const logger = createLogger('auth', config.LOG_LEVEL);
  const mongo = await connectMongo(config.MONGO_URL, logger);
  const redis = createRedis(config.REDIS_URL, logger, 'auth');
  const revokedUsers = await startRevokedUsers(redis, config.REDIS_URL, logger);

  const users = createUserRepository(mongo);
  await users.ensureIndexes();
  const tokens = createTokenService(redis, revokedUsers, {
    privateKey: config.JWT_PRIVATE_KEY,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  });
  const loginLimits = createLoginLimits(redis, {
    perClient: config.LOGIN_LIMIT_PER_CLIENT,
    perEmail: config.LOGIN_LIMIT_PER_EMAIL,
    windowMs: config.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    knownClientMs: config.LOGIN_KNOWN_CLIENT_DAYS * 24 * 3600 * 1000,
  });
  const auth = createAuthService(users, tokens, createRateLimiter(redis), loginLimits, {
    bcryptRounds: config.BCRYPT_ROUNDS,
    passwordConfirmLimit: config.LOGIN_LIMIT_PER_CLIENT,
    loginLimitPerIp: config.LOGIN_LIMIT_PER_IP,
    loginLimitWindowMs: config.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    registerLimitPerIp: config.REGISTER_LIMIT_PER_IP,
    registerLimitWindowMs: config.REGISTER_LIMIT_WINDOW_SECONDS * 1000,
    accessTokenTtlMs: config.ACCESS_TOKEN_TTL_SECONDS * 1000,
  });
  const admin = await auth.ensureAdmin({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD, name: config.ADMIN_NAME });
  if (admin.created) logger.info({ email: config.ADMIN_EMAIL }, 'admin account created');
  if (admin.passwordRotated) logger.warn({ email: config.ADMIN_EMAIL }, "admin password rotated from ADMIN_PASSWORD; the admin's sessions were revoked");
  if (admin.promoted) logger.warn({ email: config.ADMIN_EMAIL }, 'account of ADMIN_EMAIL made admin; its sessions were revoked');
  for (const email of admin.demoted) logger.warn({ email }, 'admin role removed: the account is no longer ADMIN_EMAIL; its sessions were revoked');

  const serviceApp = createServiceApp('auth', logger, { clientAddressSecret: config.CLIENT_ADDRESS_SECRET });
  serviceApp.app.use('/api/v1/auth', authRoutes(auth, accessTokenVerifier(config.JWT_PUBLIC_KEY, revokedUsers)));
  await startHttpService({
    name: 'auth',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp,
    health: { mongo: () => pingMongo(mongo), redis: () => pingRedis(redis) },
    shutdown: [() => revokedUsers.close(), () => redis.quit(), () => mongo.close()],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});

import { z } from 'zod';
import { boot } from './boot.js';
import { commonEnv, loadConfig } from './config.js';
import { createServiceApp, startHttpService } from './http-service.js';
import { createLogger } from './logger.js';

/** A process whose component is not built yet: it runs, answers /health and /metrics, and nothing else. */
export function bootStubService(name: string) {
  boot(name, async () => {
    const config = loadConfig(
      z.object({ LOG_LEVEL: commonEnv.LOG_LEVEL, PORT: commonEnv.PORT, HOST: commonEnv.HOST, SHUTDOWN_TIMEOUT_MS: commonEnv.SHUTDOWN_TIMEOUT_MS }),
    );
    const logger = createLogger(name, config.LOG_LEVEL);
    await startHttpService({
      name,
      port: config.PORT,
      host: config.HOST,
      logger,
      serviceApp: createServiceApp(name, logger),
      health: {},
      shutdown: [],
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
  });
}

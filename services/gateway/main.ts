import { boot } from '../../lib/boot.js';
import { loadConfig } from '../../lib/config.js';
import { startHttpService } from '../../lib/http-service.js';
import { createLogger } from '../../lib/logger.js';
import { createGateway } from './gateway.app.js';
import { gatewayConfigSchema } from './gateway.config.js';

boot('gateway', async () => {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const gateway = createGateway(config, logger);

  // Healthy when every copy of every upstream answers its own /health (the detailed view, on this process's port only).
  const upstreams = new Map<string, string>();
  for (const route of gateway.routes)
    route.target.split(',').forEach((target, i, all) => upstreams.set(all.length > 1 ? `${route.name}-${i + 1}` : route.name, target));
  const health = Object.fromEntries(
    [...upstreams].map(([name, target]) => [
      name,
      async () => {
        const res = await fetch(new URL('/health', target), { signal: AbortSignal.timeout(1500) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      },
    ]),
  );

  await startHttpService({
    name: 'gateway',
    port: config.PORT,
    host: config.HOST,
    logger,
    serviceApp: gateway.serviceApp,
    health,
    shutdown: [],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  });
});

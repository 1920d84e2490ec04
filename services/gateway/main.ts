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

  // Healthy when every upstream answers its own /health.
  const distinctUpstreams = new Map(gateway.routes.map((r) => [r.name, r.target]));
  const health = Object.fromEntries(
    [...distinctUpstreams].map(([name, target]) => [
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
    shutdown: [() => new Promise<void>((resolve) => resolve(gateway.close()))],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    // The proxy answers before express; WebSocket upgrades go to the realtime service.
    attach: gateway.attach,
  });
});

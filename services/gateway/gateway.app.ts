import express from 'express';
import helmet from 'helmet';
import type { ServiceApp } from '../../lib/http-service.js';
import type { Logger } from '../../lib/logger.js';
import { createMetrics } from '../../lib/metrics.js';
import { requestContext } from '../../lib/request-context.js';
import type { GatewayConfig } from './gateway.config.js';
import { openApiRoutes } from './openapi.routes.js';
import { upstreamRoutes } from './routes.js';

/**
 * The Node side of the edge. HAProxy (haproxy/haproxy-config.ts) is the public entry and routes each
 * service's prefixes straight to it; what no service owns under /api comes here: the OpenAPI document,
 * its reader, and the 404 of an unknown API path. /health (every upstream checked) and /metrics are
 * this process's own, on its own port, which is not public.
 */
export function createGateway(config: GatewayConfig, logger: Logger) {
  const app = express();
  const metrics = createMetrics('gateway');
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(requestContext(logger));
  app.use(metrics.httpMiddleware);
  app.use('/api', openApiRoutes());
  const serviceApp: ServiceApp = { app, metrics };
  return { serviceApp, routes: upstreamRoutes(config) };
}

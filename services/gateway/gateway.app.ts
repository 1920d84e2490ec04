import type http from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import httpProxy from 'http-proxy';
import { AppError } from '../../lib/errors.js';
import type { ServiceApp } from '../../lib/http-service.js';
import type { Logger } from '../../lib/logger.js';
import { createMetrics } from '../../lib/metrics.js';
import { requestContext } from '../../lib/request-context.js';
import type { GatewayConfig } from './gateway.config.js';
import { openApiRoutes } from './openapi.routes.js';
import { matchRoute, upstreamRoutes } from './routes.js';

/** The public entry: headers, request ids, body limits, then a stream to the owning service. */
export function createGateway(config: GatewayConfig, logger: Logger) {
  const routes = upstreamRoutes(config);
  const proxy = httpProxy.createProxyServer({ xfwd: true, proxyTimeout: config.UPSTREAM_TIMEOUT_MS, ws: true });
  proxy.on('error', (err, req, target) => {
    logger.warn({ err: err.message, url: (req as http.IncomingMessage).url }, 'upstream error');
    if (target instanceof Object && 'writeHead' in target) {
      const res = target as http.ServerResponse;
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(new AppError('upstream_unavailable').toBody()));
      } else res.end();
    } else (target as Duplex | undefined)?.destroy?.();
  });

  const app = express();
  const metrics = createMetrics('gateway');
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(requestContext(logger));
  app.use(metrics.httpMiddleware);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const route = matchRoute(routes, req.url);
    if (!route) return next();
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.BODY_LIMIT_BYTES) {
      res.setHeader('Connection', 'close');
      return next(new AppError('payload_too_large', `Bodies are limited to ${config.BODY_LIMIT_BYTES} bytes`));
    }
    // A chunked body has no declared length: count it as it streams.
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > config.BODY_LIMIT_BYTES && !res.headersSent) {
        res.writeHead(413, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify(new AppError('payload_too_large').toBody()));
        req.destroy();
      }
    });
    req.headers['x-request-id'] = req.id;
    res.locals.metricsRoute = `${route.prefix}/*`;
    proxy.web(req, res, { target: route.target });
  });

  app.use('/api', openApiRoutes());

  const serviceApp: ServiceApp = { app, metrics };

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    const route = matchRoute(routes, req.url ?? '');
    if (!route || route.name !== 'realtime') return socket.destroy();
    proxy.ws(req, socket, head, { target: route.target });
  }

  return { serviceApp, onUpgrade, routes, close: () => proxy.close() };
}


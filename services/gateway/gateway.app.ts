import http from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { parse as parseUrl } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import httpProxy from 'http-proxy';
import type { Histogram } from 'prom-client';
import { CLIENT_ADDRESS_HEADER, CLIENT_ADDRESS_SIGNATURE_HEADER, signClientAddress } from '../../lib/client-address-proof.js';
import { AppError } from '../../lib/errors.js';
import type { ServiceApp } from '../../lib/http-service.js';
import type { Logger } from '../../lib/logger.js';
import { createMetrics } from '../../lib/metrics.js';
import { requestContext, requestIdFromHeader } from '../../lib/request-context.js';
import { helmetHeaders } from '../../lib/security-headers.js';
import { createCors } from './cors.js';
import { clientAddressResolver } from './client-address.js';
import type { GatewayConfig } from './gateway.config.js';
import { openApiRoutes } from './openapi.routes.js';
import { matchRoute, upstreamRoutes, type UpstreamRoute } from './routes.js';

/**
 * The services key per-IP limits (login, waiting-room join) on the client's address.
 * They once read X-Forwarded-For from any private or loopback hop, so a direct caller of
 * a service port could name any address it liked. The gateway now sends the one address
 * it can vouch for (client-address.ts) signed with CLIENT_ADDRESS_SECRET
 * (lib/client-address-proof.ts), which the services check; X-Forwarded-For is set to
 * the same address for logs only, and nothing else a client wrote about forwarding passes.
 */
function forwardClientAddress(req: http.IncomingMessage, clientAddress: string, secret: string | undefined) {
  for (const name of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', CLIENT_ADDRESS_HEADER, CLIENT_ADDRESS_SIGNATURE_HEADER])
    delete req.headers[name];
  req.headers['x-forwarded-for'] = clientAddress;
  if (!secret) return;
  req.headers[CLIENT_ADDRESS_HEADER] = clientAddress;
  req.headers[CLIENT_ADDRESS_SIGNATURE_HEADER] = signClientAddress(secret, clientAddress);
}

function sendError(res: http.ServerResponse, error: AppError, headers: Record<string, string> = {}) {
  const body = JSON.stringify(error.toBody());
  res.writeHead(error.status, { ...error.headers, ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The public entry: headers, request ids, body limits, then a stream to the owning
 * service. Proxied requests are the gateway's whole load, so they skip express:
 * `handler` matches the prefix first and does by hand what the middleware stack
 * would (helmet's precomputed headers, the request id, the body limit, the
 * metrics observation and the request log line). Express serves the rest: /health,
 * /metrics, /api/docs, /api/openapi.json and 404s.
 */
export function createGateway(config: GatewayConfig, logger: Logger) {
  const routes = upstreamRoutes(config);
  // Parsed once: http-proxy would parse a target string on every request.
  const targets = new Map(routes.map((r) => [r.target, parseUrl(r.target)]));
  // Keep-alive to the services: a new TCP connection per proxied request costs more than the request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const clientAddress = clientAddressResolver(config.TRUSTED_PROXIES);
  const proxy = httpProxy.createProxyServer({ xfwd: false, proxyTimeout: config.UPSTREAM_TIMEOUT_MS, ws: true, agent });
  proxy.on('error', (err, req, target) => {
    logger.warn({ err: err.message, url: req.url }, 'upstream error');
    if (target instanceof Object && 'writeHead' in target) {
      const res = target;
      if (!res.headersSent) sendError(res, new AppError('upstream_unavailable'));
      else res.end();
    } else (target as Duplex | undefined)?.destroy?.();
  });

  const app = express();
  const metrics = createMetrics('gateway');
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(requestContext(logger));
  app.use(metrics.httpMiddleware);
  app.use('/api', openApiRoutes());
  const serviceApp: ServiceApp = { app, metrics };

  const securityHeaders = helmetHeaders();
  const requestSeconds = metrics.registry.getSingleMetric('http_request_duration_seconds') as Histogram<'method' | 'route' | 'status'>;
  if (!requestSeconds) throw new Error('the gateway metrics lack http_request_duration_seconds');
  const limit = config.BODY_LIMIT_BYTES;
  const applyCors = createCors(config.CORS_ORIGINS);

  /** helmet's headers and the request id, as express's middleware would set them. */
  function commonHeaders(req: http.IncomingMessage, res: http.ServerResponse): string {
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    const id = requestIdFromHeader(req.headers['x-request-id']);
    req.headers['x-request-id'] = id;
    res.setHeader('X-Request-Id', id);
    return id;
  }

  /** Proxies `req` to the service owning its path. */
  function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, route: UpstreamRoute) {
    const started = process.hrtime.bigint();
    const id = commonHeaders(req, res);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.statusCode;
      // A prefix, never the raw URL, so label sets stay bounded.
      requestSeconds.observe({ method: req.method, route: `${route.prefix}/*`, status: String(status) }, seconds);
      if (status >= 500 || logger.isLevelEnabled('debug')) {
        const line = { reqId: id, method: req.method, url: req.url, status, ms: Math.round(seconds * 10_000) / 10 };
        if (status >= 500) logger.error(line, 'request');
        else logger.debug(line, 'request');
      }
    });

    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      sendError(res, new AppError('payload_too_large', `Bodies are limited to ${limit} bytes`), { Connection: 'close' });
      return;
    }
    // A chunked body has no declared length: count it as it streams. (A declared
    // length is enforced by node's parser; no length and no chunking means no body.)
    const chunked = declared === undefined && req.headers['transfer-encoding'] !== undefined;
    const parts: Buffer[] = [];
    // http-proxy turns a DELETE or OPTIONS without Content-Length into one with
    // "Content-Length: 0" and no Transfer-Encoding, yet still streams the chunked
    // body after it: the service would read those bytes as a second request on the
    // shared keep-alive connection (request smuggling past every check above; a
    // DELETE answered 413 was even carried out). Such a body is read here and
    // forwarded with its length.
    const bufferBody = chunked && (req.method === 'DELETE' || req.method === 'OPTIONS');
    if (chunked) {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (bufferBody) parts.push(chunk);
        if (received > limit && !res.headersSent) {
          sendError(res, new AppError('payload_too_large'), { Connection: 'close' });
          req.destroy();
        }
      });
    }
    forwardClientAddress(req, clientAddress(req), config.CLIENT_ADDRESS_SECRET);
    if (!bufferBody) return proxy.web(req, res, { target: targets.get(route.target) });
    req.on('end', () => {
      if (res.headersSent) return;
      const body = Buffer.concat(parts);
      delete req.headers['transfer-encoding'];
      req.headers['content-length'] = String(body.length);
      proxy.web(req, res, { target: targets.get(route.target), buffer: Readable.from([body]) });
    });
  }

  /**
   * The server's request listener: CORS first (Socket.IO has its own, in the
   * realtime service), then the proxy, express for everything else.
   */
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const route = matchRoute(routes, req.url ?? '');
    if (route?.name !== 'realtime') {
      const cors = applyCors(req, res);
      if (cors === 'allowed-preflight' || cors === 'refused-preflight') {
        commonHeaders(req, res);
        if (cors === 'refused-preflight') return sendError(res, new AppError('forbidden', 'This origin may not call the API from a browser'));
        res.writeHead(204, { 'Content-Length': 0 });
        return res.end();
      }
    }
    if (route) proxyRequest(req, res, route);
    else app(req, res);
  };

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer) {
    const route = matchRoute(routes, req.url ?? '');
    if (!route || route.name !== 'realtime') return socket.destroy();
    forwardClientAddress(req, clientAddress(req), config.CLIENT_ADDRESS_SECRET);
    proxy.ws(req, socket, head, { target: targets.get(route.target) });
  }

  /** For startHttpService's `attach`: the server it made for the express app answers with `handler` instead. */
  function attach(server: http.Server) {
    if (!server.listeners('request').includes(app)) throw new Error('the gateway expects a server created for its express app');
    server.removeListener('request', app);
    server.on('request', handler);
    server.on('upgrade', onUpgrade);
  }

  return {
    serviceApp,
    handler,
    attach,
    routes,
    close: () => {
      proxy.close();
      agent.destroy();
    },
  };
}

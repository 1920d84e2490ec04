import { isUtf8 } from 'node:buffer';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type Response } from 'express';
import { clientAddressFromEdge } from './client-address-proof.js';
import { AppError, errorBody } from './errors.js';
import { registerHealthMetrics } from './health-metrics.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { requestContext } from './request-context.js';
import { helmetHeaders, securityHeaders } from './security-headers.js';
import { requireJsonBody } from './validation.js';

export const JSON_BODY_LIMIT = '64kb';
/**
 * The accept queue every service listens with (the kernel caps it at net.core.somaxconn,
 * 4096 on current kernels). Node's default, 511, is smaller than an on-sale's first burst:
 * the edge opens a connection per fan in flight, the kernel drops the SYNs past the queue
 * while the service is busy, and each dropped one waits 1 s, 3 s, 7 s for its retry.
 */
export const LISTEN_BACKLOG = 4096;

export interface ServiceApp {
  app: Express;
  metrics: Metrics;
}

export interface ServiceAppOptions {
  /** CLIENT_ADDRESS_SECRET: the gateway signs the client address it forwards with it (client-address-proof.ts). */
  clientAddressSecret?: string;
}

/**
 * An Express app with the kernel's middleware: helmet, request id, metrics, strict JSON
 * bodies, and `req.ip` as the gateway vouched for it (never a caller's X-Forwarded-For).
 */
export function createServiceApp(service: string, logger: Logger, opts: ServiceAppOptions = {}): ServiceApp {
  const app = express();
  const metrics = createMetrics(service);
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(clientAddressFromEdge(opts.clientAddressSecret));
  app.set('query parser', 'simple');
  app.use(securityHeaders());
  app.use(requestContext(logger));
  app.use(metrics.httpMiddleware);
  app.use(requireJsonBody);
  app.use(express.json({ limit: JSON_BODY_LIMIT, strict: true, verify: requireUtf8 }));
  return { app, metrics };
}

/**
 * JSON travels as UTF-8 (RFC 8259). body-parser would decode invalid bytes to
 * U+FFFD and carry on, so `{"name":"\xff"}` would be stored as "\ufffd": refuse it.
 */
function requireUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string) {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw new AppError('malformed_json', 'The body is not valid UTF-8');
}

export type HealthCheck = () => Promise<unknown>;

/** 404 for unknown routes and the one error handler that produces the public error shape. */
export function finishServiceApp(app: Express, logger: Logger) {
  app.use((req: Request, _res: Response, next: NextFunction) => next(new AppError('route_not_found', `No route for ${req.method} ${req.path}`)));
  const isStoreUnreachable = (err: unknown) =>
    err instanceof Error &&
    (/^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected)Error$/.test(err.name) ||
      err.message === 'Connection is closed.' ||
      /max retries per request/i.test(err.message));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- express recognises an error handler by its four parameters
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const log = req.log ?? logger;
    // body-parser's errors carry `type` and `status`; anything may be thrown, so both are checked before use.
    const parserError = err as { type?: unknown; status?: unknown } | null | undefined;
    let appError: AppError;
    if (err instanceof AppError) appError = err;
    // The router could not percent-decode a path parameter (e.g. `%E0%A4%A`): the client's URL, not our fault.
    else if (err instanceof URIError && (err as URIError & { status?: number }).status === 400)
      appError = new AppError('malformed_request', 'The URL path is not valid percent-encoding');
    else if (parserError?.type === 'entity.parse.failed') appError = new AppError('malformed_json');
    // body-parser inflates gzip/deflate/br bodies; a body that fails to decode is passed on as a bare 400 without a type.
    else if (parserError?.status === 400 && parserError.type === undefined && req.headers['content-encoding'] !== undefined) {
      appError = new AppError('malformed_request', 'The body could not be decoded with its Content-Encoding');
    } else if (parserError?.type === 'request.aborted' || parserError?.type === 'request.size.invalid')
      appError = new AppError('malformed_request', 'The body ended before its declared length');
    else if (parserError?.type === 'entity.too.large') appError = new AppError('payload_too_large');
    else if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') appError = new AppError('unsupported_media_type');
    // MongoDB (the record) or Redis out of reach: a dependency is down, retrying later will do.
    else if (isStoreUnreachable(err)) {
      log.warn({ err: (err as Error).message, method: req.method, url: req.originalUrl }, 'a store is unreachable');
      appError = new AppError('service_unavailable', 'A store the platform needs is unreachable; try again shortly', undefined, { 'Retry-After': '2' });
    } else {
      log.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
      appError = new AppError('internal_error');
    }
    if (res.headersSent) return res.end();
    for (const [name, value] of Object.entries(appError.headers ?? {})) res.setHeader(name, value);
    res.status(appError.status).json(appError.toBody());
  };
  app.use(onError);
}

export interface StartOptions {
  name: string;
  port: number;
  host: string;
  logger: Logger;
  serviceApp: ServiceApp;
  /** Named dependency checks for GET /health; each resolves when healthy. */
  health: Record<string, HealthCheck>;
  /** Stop taking work, finish in-flight work, close connections (in that order). */
  shutdown: Array<() => Promise<unknown>>;
  shutdownTimeoutMs: number;
  /** Called with the HTTP server before it listens (e.g. to attach Socket.IO). */
  attach?: (server: http.Server) => void;
}

/**
 * Mounts /health and /metrics, listens, and wires graceful SIGTERM/SIGINT
 * shutdown: stop accepting connections, run the shutdown steps, then exit.
 */
export async function startHttpService(opts: StartOptions): Promise<{ server: http.Server; port: number; stop: () => Promise<void> }> {
  const { app, metrics } = opts.serviceApp;
  registerHealthMetrics(metrics.registry, opts.health);
  app.get('/health', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(opts.health).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `down: ${(err as Error).message}`] as const;
        }
      }),
    );
    const healthy = results.every(([, state]) => state === 'ok');
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'ok' : 'degraded', service: opts.name, checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  finishServiceApp(app, opts.logger);

  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server);
  opts.attach?.(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, `${opts.name} listening`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      opts.logger.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const step of opts.shutdown) {
        try {
          await step();
        } catch (err) {
          opts.logger.warn({ err }, 'shutdown step failed');
        }
      }
      server.closeAllConnections();
      await closed;
    })());
  installSignalHandlers(opts.logger, stop, opts.shutdownTimeoutMs);
  return { server, port, stop };
}

/**
 * Node answers a request it cannot parse (a URL or headers over 16 KB, broken
 * HTTP) with a bare status line and no body. Answer those in the public error
 * shape with helmet's headers instead; through the gateway, a service's answer
 * is what the client sees, so every process does this.
 */
export function answerClientErrors(server: http.Server) {
  const headers = Object.fromEntries(helmetHeaders());
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // What node's default handler does with these too: nobody is left to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    const error = err.code === 'HPE_HEADER_OVERFLOW' ? new AppError('headers_too_large') : new AppError('malformed_request');
    const body = JSON.stringify(error.toBody());
    const head = Object.entries({
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    })
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status]}\r\n${head}\r\n\r\n${body}`);
  });
}

export function installSignalHandlers(logger: Logger, stop: () => Promise<void>, timeoutMs: number) {
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'signal received');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export { errorBody };

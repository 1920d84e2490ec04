import type { NextFunction, Request, Response } from 'express';
import client from 'prom-client';

/** One registry per process; every series carries the `service` label. */
export function createMetrics(service: string) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });

  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template (never the raw URL, so label sets stay bounded)',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  function httpMiddleware(req: Request, res: Response, next: NextFunction) {
    const end = httpDuration.startTimer();
    // The router sets req.route when a route matches, while req.baseUrl still names
    // the mount point; by 'finish' an error may have unwound baseUrl to ''. So the
    // template is taken at the moment of the match.
    let template: string | undefined;
    // Express types req.route as `any`; only its `path` is read, and checked.
    let matched: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => matched,
      set(route: unknown) {
        matched = route;
        const path = (route as { path?: unknown } | null | undefined)?.path;
        if (typeof path === 'string') template = `${req.baseUrl}${path}`;
      },
    });
    res.on('finish', () => {
      // A proxy names its route in res.locals.metricsRoute (a prefix, never the raw URL);
      // everything unmatched shares one label, so label sets stay bounded.
      const route = template ?? (typeof res.locals.metricsRoute === 'string' ? res.locals.metricsRoute : 'unmatched');
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  }

  return { registry, httpMiddleware };
}

export type Metrics = ReturnType<typeof createMetrics>;

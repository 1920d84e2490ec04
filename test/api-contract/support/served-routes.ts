import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Router } from 'express';
import { ROOT } from '../../../scripts/stack/processes.js';
import { gatewayConfigSchema } from '../../../services/gateway/gateway.config.js';
import { matchRoute, upstreamRoutes } from '../../../services/gateway/routes.js';

export interface ServedRoute {
  method: string;
  /** OpenAPI path template. */
  path: string;
  source: string;
}

/**
 * A layer of an Express router's stack as it is at run time: @types/express leaves out
 * a route's `methods` and the `stack` of a nested router's handle.
 */
export interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean | undefined> };
  handle?: { stack?: unknown[] };
}

/** A stand-in for any dependency: every property and call returns itself, so a router factory can run. */
function anything(): unknown {
  const target = function () {};
  const proxy: typeof target = new Proxy(target, {
    get: (_t, prop) => (prop === Symbol.toPrimitive ? () => 'stand-in' : prop === 'then' ? undefined : proxy),
    apply: () => proxy,
  });
  return proxy;
}

/** The gateway's own config with every upstream at a placeholder address. */
export function placeholderGatewayConfig() {
  const placeholder = 'http://127.0.0.1:1';
  return gatewayConfigSchema.parse({
    AUTH_URL: placeholder,
    CONCERT_URL: placeholder,
    BOOKING_URL: placeholder,
    NOTIFICATION_URL: placeholder,
    WAITING_ROOM_URL: placeholder,
    REALTIME_URL: placeholder,
  });
}

/** The gateway's public prefixes: only those matter here, not where they lead. */
export function gatewayPrefixes() {
  return upstreamRoutes(placeholderGatewayConfig());
}

/** `*.routes.ts` files of every service process (the gateway forwards, it has no API of its own). */
function routeFiles(): string[] {
  const roots = ['services', 'waiting-room', 'workers'].map((d) => path.join(ROOT, d)).filter((d) => existsSync(d));
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules' && full !== path.join(ROOT, 'services', 'gateway')) walk(full);
      } else if (entry.name.endsWith('.routes.ts')) found.push(full);
    }
  };
  roots.forEach(walk);
  return found.sort();
}

/** Where a component's entry point mounts a router factory: `app.use('<prefix>', factory(...))`. */
function mountPrefix(routesFile: string, factory: string): string | undefined {
  let dir = path.dirname(routesFile);
  while (dir.startsWith(ROOT) && dir !== ROOT) {
    for (const entry of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = readFileSync(path.join(dir, entry), 'utf8');
      const match = new RegExp(`\\.use\\(\\s*['"\`]([^'"\`]+)['"\`]\\s*,\\s*${factory}\\(`).exec(source);
      if (match) return match[1];
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

const toTemplate = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Every method and path the services answer through the gateway, read from their
 * Express routers (router.stack), not from a list kept by hand. Throws when a
 * router cannot be read, so the test fails rather than silently skipping it.
 */
export async function servedRoutes(): Promise<{ routes: ServedRoute[]; problems: string[] }> {
  const gateway = gatewayPrefixes();
  const routes: ServedRoute[] = [];
  const problems: string[] = [];
  for (const file of routeFiles()) {
    const rel = path.relative(ROOT, file);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const factories = Object.entries(mod).filter(([name, value]) => typeof value === 'function' && /Routes$/.test(name));
    if (factories.length === 0) problems.push(`${rel} exports no *Routes factory`);
    for (const [name, factory] of factories) {
      const prefix = mountPrefix(file, name);
      if (!prefix) {
        problems.push(`${rel}: cannot find where ${name}() is mounted (expected app.use('<prefix>', ${name}(...)))`);
        continue;
      }
      const upstream = matchRoute(gateway, prefix);
      if (!upstream || upstream.name === 'realtime') {
        problems.push(`${rel}: ${name}() is mounted at ${prefix}, which the gateway does not forward`);
        continue;
      }
      const router = (factory as (...args: unknown[]) => Router)(anything(), anything(), anything(), anything());
      for (const layer of router.stack as RouterLayer[]) {
        if (layer.route) {
          const { methods } = layer.route;
          for (const method of Object.keys(methods).filter((m) => methods[m])) {
            const routePath = layer.route.path === '/' ? prefix : `${prefix}${layer.route.path}`;
            routes.push({ method, path: toTemplate(routePath), source: `${rel} ${name}()` });
          }
        } else if (layer.handle?.stack) {
          problems.push(`${rel}: ${name}() nests a router; teach servedRoutes() to walk nested routers`);
        }
      }
    }
  }
  return { routes, problems };
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../../scripts/stack/processes.js';
import { openApiRoutes } from '../../../services/gateway/openapi.routes.js';
import { servedRoutes, type RouterLayer } from '../../api-contract/support/served-routes.js';
import type { JsonSchema, OperationSpec } from './bad-inputs.js';

export interface Endpoint {
  /** `METHOD /path/{template}`: the key of the access table. */
  key: string;
  method: string;
  path: string;
  source: 'openapi' | 'gateway' | 'router';
  /** The operation as the served OpenAPI document describes it. */
  operation?: OperationSpec;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/**
 * The edge answers GET /health itself (a plain liveness answer). /metrics and the detailed /health of
 * every process (lib/http-service.ts) are on the processes' own ports, not public.
 */
const KERNEL_ROUTES = ['/health'];

/** The gateway's own routes: the kernel's and the OpenAPI router, at the prefix gateway.app.ts mounts it under. */
function gatewayRoutes(): Array<{ method: string; path: string }> {
  const source = readFileSync(path.join(ROOT, 'services/gateway/gateway.app.ts'), 'utf8');
  const prefix = /\.use\(\s*'([^']+)'\s*,\s*openApiRoutes\(/.exec(source)?.[1];
  if (!prefix) throw new Error('cannot find where gateway.app.ts mounts openApiRoutes()');
  const routes = KERNEL_ROUTES.map((p) => ({ method: 'get', path: p }));
  for (const layer of openApiRoutes().stack as RouterLayer[]) {
    if (!layer.route) throw new Error('openApiRoutes() has a layer without a route; teach gatewayRoutes() about it');
    const { methods, path: routePath } = layer.route;
    for (const method of Object.keys(methods).filter((m) => methods[m])) routes.push({ method, path: `${prefix}${routePath}` });
  }
  return routes;
}

/**
 * Every public endpoint: the operations of the OpenAPI document the gateway
 * serves, the routes the services' routers answer (in case one is missing from
 * the document) and the gateway's own routes.
 */
export async function publicEndpoints(gatewayUrl: string): Promise<{ endpoints: Endpoint[]; components: Record<string, JsonSchema> }> {
  const res = await fetch(`${gatewayUrl}/api/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /api/openapi.json: ${res.status}`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, OperationSpec>>; components?: { schemas?: Record<string, JsonSchema> } };
  const endpoints = new Map<string, Endpoint>();
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const key = `${method.toUpperCase()} ${p}`;
      endpoints.set(key, { key, method, path: p, source: 'openapi', operation: { ...operation, method, path: p } });
    }
  }
  const { routes, problems } = await servedRoutes();
  if (problems.length) throw new Error(`the services' routers cannot be read: ${problems.join('; ')}`);
  for (const r of routes) {
    const key = `${r.method.toUpperCase()} ${r.path}`;
    if (!endpoints.has(key)) endpoints.set(key, { key, method: r.method, path: r.path, source: 'router' });
  }
  for (const r of gatewayRoutes()) {
    const key = `${r.method.toUpperCase()} ${r.path}`;
    if (!endpoints.has(key)) endpoints.set(key, { key, method: r.method, path: r.path, source: 'gateway' });
  }
  return { endpoints: [...endpoints.values()], components: doc.components?.schemas ?? {} };
}

/** Endpoints the table lacks and table rows no endpoint matches. */
export function tableCoverage(endpoints: Endpoint[], tableKeys: string[]) {
  const served = new Set(endpoints.map((e) => e.key));
  return {
    missing: endpoints.filter((e) => !tableKeys.includes(e.key)).map((e) => `${e.key} (${e.source})`),
    stale: tableKeys.filter((k) => !served.has(k)),
  };
}

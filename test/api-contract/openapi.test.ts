import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ERROR_CODES } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi-document.js';
import { createGateway } from '../../services/gateway/gateway.app.js';
import { producedErrorCodes } from './support/produced-error-codes.js';
import { placeholderGatewayConfig, servedRoutes } from './support/served-routes.js';

/** The parts of the document's JSON Schemas these tests read. */
interface Schema {
  type?: string;
  required?: string[];
  additionalProperties?: unknown;
  minLength?: number;
  enum?: string[];
  properties?: Record<string, Schema>;
}

/**
 * The parts of an operation these tests read, written inline where they look (the
 * document's own types from openapi3-ts allow a $ref anywhere and type extensions as any).
 */
interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  /** Every operation of api-operations.ts declares its responses. */
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

const doc = buildOpenApiDocument();
const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .map(([method, op]) => ({ method, path, op: op as Operation })),
);
/** The documented operation at `method path` (throws when there is none). */
function operation(method: string, path: string): Operation {
  const found = documented.find((d) => d.method === method && d.path === path);
  if (!found) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return found.op;
}

/** Every error code named in an error response's `code` enum, with where. */
function documentedErrorCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  for (const { method, path, op } of documented) {
    for (const [status, response] of Object.entries(op.responses)) {
      const schema = response.content?.['application/json']?.schema;
      for (const code of schema?.properties?.error?.properties?.code?.enum ?? []) {
        codes.set(code, [...(codes.get(code) ?? []), `${method.toUpperCase()} ${path} ${status}`]);
      }
    }
  }
  return codes;
}

describe('the OpenAPI document', () => {
  test('documents every route the services serve through the gateway, and no route that does not exist', async () => {
    const { routes, problems } = await servedRoutes();
    assert.deepEqual(problems, [], 'every router must be readable');
    assert.ok(routes.length >= 17, `found only ${routes.length} routes; the router walk is broken`);
    const key = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;
    const servedKeys = new Set(routes.map(key));
    const documentedKeys = new Set(documented.map(key));
    const undocumented = routes.filter((r) => !documentedKeys.has(key(r))).map((r) => `${key(r)} (${r.source})`);
    const phantom = [...documentedKeys].filter((k) => !servedKeys.has(k));
    assert.deepEqual(undocumented, [], 'served but missing from lib/openapi/api-operations.ts');
    assert.deepEqual(phantom, [], 'documented but served by no router');
  });

  test('documents only error codes the code can produce, and the registry holds no code that is never produced', () => {
    const produced = producedErrorCodes();
    const inDoc = documentedErrorCodes();
    const unproducible = [...inDoc].filter(([code]) => !produced.has(code as never)).map(([code, where]) => `${code} (documented at ${where[0]})`);
    assert.deepEqual(unproducible, [], 'documented error codes that nothing in the code base produces');
    const neverProduced = Object.keys(ERROR_CODES).filter((code) => !produced.has(code as never));
    assert.deepEqual(neverProduced, [], 'codes in lib/errors.ts ERROR_CODES that nothing produces: use them or remove them');
    const unregistered = [...inDoc.keys()].filter((code) => !(code in ERROR_CODES));
    assert.deepEqual(unregistered, [], 'documented codes missing from the registry');
  });

  test('documents every produced error code on at least one operation', () => {
    const inDoc = documentedErrorCodes();
    const missing = [...producedErrorCodes().keys()].filter((code) => !inDoc.has(code));
    assert.deepEqual(missing, [], 'produced by the code but on no documented response');
  });

  test('is well formed: OpenAPI 3.1, every $ref resolves, every path parameter is declared, ids are unique', () => {
    assert.equal(doc.openapi, '3.1.0');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length > 0);
    for (const ref of refs) assert.ok(doc.components?.schemas?.[ref], `dangling $ref ${ref}`);
    for (const { method, path, op } of documented) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      assert.deepEqual(declared, inPath, `${method} ${path}: path parameters`);
      assert.ok(op.responses && Object.keys(op.responses).some((s) => s.startsWith('2')), `${method} ${path}: no success response`);
    }
    const ids = documented.map((d) => d.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds must be unique');
  });

  test('describes request bodies with the services’ own schemas (strict objects, their constraints)', () => {
    const register = operation('post', '/api/v1/auth/register').requestBody!.content['application/json'].schema;
    assert.deepEqual([...register.required!].sort(), ['email', 'name', 'password']);
    assert.equal(register.additionalProperties, false);
    assert.equal(register.properties!.password.minLength, 8);
    const seatType = operation('post', '/api/v1/concerts/{id}/seat-types').requestBody!.content['application/json'].schema;
    assert.equal(seatType.properties!.capacity.type, 'integer');
  });
});

describe('the gateway', () => {
  let server: http.Server;
  let base: string;
  let close: () => void;

  before(async () => {
    const gateway = createGateway(placeholderGatewayConfig(), createLogger('gateway', 'silent'));
    close = gateway.close;
    server = http.createServer(gateway.serviceApp.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('serves the document at /api/openapi.json', async () => {
    const res = await fetch(`${base}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(doc)));
  });

  test('serves a docs page at /api/docs whose script is allowed by its own Content-Security-Policy', async () => {
    const page = await fetch(`${base}/api/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    const script = /<script src="([^"]+)"><\/script>/.exec(html)?.[1];
    assert.ok(script?.startsWith('/'), 'the viewer script is served by the gateway itself');
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const js = await fetch(`${base}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(await js.text(), /\/api\/openapi\.json/);
  });
});

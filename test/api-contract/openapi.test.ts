import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { errorResponse, validationIssue } from '../../lib/openapi/common.schemas.js';
import { ROOT } from '../../scripts/stack/processes.js';
import { createGateway } from '../../services/gateway/gateway.app.js';
import { API_OPERATIONS, buildOpenApiDocument, REQUIRED_ROLE } from '../../services/gateway/openapi-document.js';
import { ACCESS_TABLE } from '../security/support/access-table.js';
import { producedErrorCodes } from './support/produced-error-codes.js';
import { placeholderGatewayConfig, servedRoutes } from './support/served-routes.js';
import { CHROMIUM_LAUNCH } from '../support/chromium.js';

/** The parts of the document's JSON Schemas these tests read. */
interface Schema {
  type?: string;
  required?: string[];
  additionalProperties?: unknown;
  minLength?: number;
  enum?: string[];
  properties?: Record<string, Schema>;
}

/** A media type of a request body or response, with its example(s). */
interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { summary?: string; value?: unknown }>;
}

/**
 * The parts of an operation these tests read, written inline where they look (the
 * document's own types from openapi3-ts allow a $ref anywhere and type extensions as any).
 */
interface Operation {
  operationId?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  [REQUIRED_ROLE]?: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, Media> };
  /** Every operation a component declares (its *.openapi.ts) has its responses. */
  responses: Record<string, { content?: Record<string, Media> }>;
}

const doc = buildOpenApiDocument();
/** The document as the gateway serves it (JSON): what a reader's examples are. */
const served = JSON.parse(JSON.stringify(doc)) as typeof doc;
const documented = Object.entries(served.paths ?? {}).flatMap(([path, item]) =>
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
    assert.deepEqual(undocumented, [], 'served but declared by no component (its *.openapi.ts)');
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
    const register = operation('post', '/api/v1/auth/register').requestBody!.content['application/json'].schema!;
    assert.deepEqual([...register.required!].sort(), ['email', 'name', 'password']);
    assert.equal(register.additionalProperties, false);
    assert.equal(register.properties!.password.minLength, 8);
    const seatType = operation('post', '/api/v1/concerts/{id}/seat-types').requestBody!.content['application/json'].schema!;
    assert.equal(seatType.properties!.capacity.type, 'integer');
  });
});

/** Every media type of every request body and response of the document, with where it is. */
function mediaTypes() {
  return documented.flatMap(({ method, path, op }) => [
    ...Object.entries(op.requestBody?.content ?? {}).map(([type, media]) => ({
      op,
      where: `${method.toUpperCase()} ${path} request body ${type}`,
      status: undefined,
      media,
    })),
    ...Object.entries(op.responses).flatMap(([status, response]) =>
      Object.entries(response.content ?? {}).map(([type, media]) => ({
        op,
        where: `${method.toUpperCase()} ${path} ${status} ${type}`,
        status: Number(status),
        type,
        media,
      })),
    ),
  ]);
}

describe('the examples of the OpenAPI document', () => {
  test('every request body and every response (each status, success and error) has an example', () => {
    const media = mediaTypes();
    assert.ok(media.length > 100, `only ${media.length} media types: the walk is broken`);
    const without = media.filter(({ media: m }) => m.example === undefined && Object.keys(m.examples ?? {}).length === 0).map((m) => m.where);
    assert.deepEqual(without, [], 'request bodies and responses without an example');
    // A response without content has no body to exemplify: only 204s may be like that.
    const bodiless = documented.flatMap(({ method, path, op }) =>
      Object.entries(op.responses)
        .filter(([status, r]) => status !== '204' && Object.keys(r.content ?? {}).length === 0)
        .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
    );
    assert.deepEqual(bodiless, [], 'responses other than 204 without a body (and so without an example)');
    // An error response has one example per code it can carry, named by the code.
    for (const { where, media: m } of media.filter((x) => (x.status ?? 0) >= 400)) {
      assert.deepEqual(
        Object.keys(m.examples ?? {}).sort(),
        [...(m.schema?.properties?.error?.properties?.code?.enum ?? [])].sort(),
        `${where}: an example per code`,
      );
    }
  });

  test('every example is valid: it parses with the zod schema it illustrates', () => {
    const byId = new Map(API_OPERATIONS.map((op) => [op.operationId, op]));
    const problems: string[] = [];
    const check = (where: string, schema: z.ZodTypeAny | undefined, value: unknown) => {
      if (!schema) return problems.push(`${where}: no zod schema to check the example with`);
      const parsed = schema.safeParse(value);
      if (!parsed.success) problems.push(`${where}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    };
    let checked = 0;
    for (const { op, where, status, media: m, ...rest } of mediaTypes()) {
      const source = byId.get(op.operationId ?? '');
      assert.ok(source, `${where}: operation ${op.operationId} is not in API_OPERATIONS (services/gateway/openapi-document.ts)`);
      checked++;
      if (status === undefined) check(where, source.request?.body, m.example);
      else if (status < 400) {
        const response = source.responses[status];
        check(where, 'type' in rest && response?.alternative?.contentType === rest.type ? response.alternative.schema : response?.schema, m.example);
      } else {
        const codes = (m.schema?.properties?.error?.properties?.code?.enum ?? []) as ErrorCode[];
        for (const [name, example] of Object.entries(m.examples ?? {})) {
          check(`${where} example ${name}`, errorResponse(codes), example.value);
          const error = (example.value as { error?: { code?: string; details?: unknown } } | undefined)?.error;
          if (error?.code !== name) problems.push(`${where} example ${name}: its code is ${error?.code}`);
          if (name === 'validation_failed') check(`${where} example ${name} details`, z.array(validationIssue).min(1), error?.details);
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} examples checked`);
    assert.deepEqual(problems, [], 'examples that do not match their schema');
  });
});

describe('admin-only operations', () => {
  test('are exactly the ones the authorisation table lets only the admin call, marked x-required-role: admin, with the bearer requirement', () => {
    // Admin-only: only the admin gets past authorisation (its answer may still be a 503, e.g. charts without Prometheus).
    const adminOnly = Object.entries(ACCESS_TABLE)
      .filter(
        ([, row]) =>
          row.expect.anonymous === 401 && row.expect.fan === 403 && row.expect.otherFan === 403 && row.expect.admin !== 401 && row.expect.admin !== 403,
      )
      .map(([key]) => key)
      .sort();
    assert.ok(adminOnly.includes('POST /api/v1/concerts') && adminOnly.includes('POST /api/v1/concerts/{id}/seat-types'), adminOnly.join(', '));
    const marked = documented
      .filter(({ op }) => op[REQUIRED_ROLE] !== undefined)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
      .sort();
    assert.deepEqual(marked, adminOnly, `operations marked ${REQUIRED_ROLE}`);
    for (const key of adminOnly) {
      const [method, path] = key.split(' ');
      const op = operation(method.toLowerCase(), path);
      assert.equal(op[REQUIRED_ROLE], 'admin', key);
      assert.deepEqual(op.security, [{ bearerAuth: [] }], `${key}: the bearer token requirement`);
      assert.match(op.description ?? '', /\*\*Admin only\*\*/, `${key}: the description says so`);
      assert.ok(op.responses['403'], `${key}: documents the 403 fans get`);
    }
  });
});

describe('the gateway', () => {
  let server: http.Server;
  let base: string;

  before(async () => {
    const gateway = createGateway(placeholderGatewayConfig(), createLogger('gateway', 'silent'));
    server = http.createServer(gateway.serviceApp.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
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

  test('the docs page in headless Chromium: no stray "null", markdown rendered, admin-only operations badged, examples shown', async () => {
    const outputDir = path.join(ROOT, 'test-output', 'api-contract-docs-page');
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true });
    const browser = await chromium.launch(CHROMIUM_LAUNCH);
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') pageErrors.push(msg.text());
      });
      await page.goto(`${base}/api/docs`);
      await page.locator('details.op').first().waitFor();
      assert.equal(await page.locator('details.op').count(), documented.length, 'one entry per operation');
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));

      // Text that reads "null" on its own, outside a code span or a schema sketch (where `null` is a type).
      const strayNulls = await page.evaluate(() => {
        const found: string[] = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const parent = node.parentElement;
          if (/^\s*(null|undefined)\s*$/.test(node.textContent ?? '') && !parent?.closest('code, pre')) {
            found.push(`${node.textContent?.trim()} in <${parent?.tagName.toLowerCase()}> after "${(node.previousSibling?.textContent ?? '').slice(0, 60)}"`);
          }
        }
        return found;
      });
      assert.deepEqual(strayNulls, [], 'text nodes reading "null" or "undefined"');

      const createConcert = page.locator('#createConcert');
      assert.equal(await createConcert.locator('summary .badge.admin').textContent(), 'admin only');
      assert.equal(await page.locator('#addSeatType summary .badge.admin').count(), 1);
      assert.equal(
        await page.locator('summary .badge.admin').count(),
        documented.filter(({ op }) => op[REQUIRED_ROLE] === 'admin').length,
        'badges on admin operations only',
      );

      // Markdown: a list with **bold** and `code` in an operation's description, `code` in a schema's description.
      const submit = page.locator('#submitBooking .op-body > .md');
      assert.equal(await submit.locator('strong').first().textContent(), '202 at once');
      assert.equal(await submit.locator('ul > li').count(), 3);
      assert.equal(await submit.locator('li code').first().textContent(), 'Prefer: wait=N');
      assert.equal(await page.locator('#joinWaitingRoom pre code', { hasText: 'X-Admission-Token' }).count(), 1, 'a schema description rendered in the sketch');
      assert.ok((await page.locator('#createConcert .md strong', { hasText: 'Admin only' }).count()) >= 1);
      const markup = await page.evaluate(() => {
        const clone = document.getElementById('content')!.cloneNode(true) as HTMLElement;
        clone.querySelectorAll('pre, code').forEach((n) => n.remove());
        return clone.textContent ?? '';
      });
      assert.doesNotMatch(markup, /\*\*|`|^- /m, 'markdown syntax left as text');

      // Examples: the request body's, the success answer's, and one per error code.
      const examples = createConcert.locator('details.example');
      assert.ok((await examples.count()) >= 3);
      assert.match((await examples.first().locator('pre').textContent()) ?? '', /"name": "The Midnight Orchestra"/);
      assert.ok((await createConcert.locator('.response.error details.example pre', { hasText: '"code": "forbidden"' }).count()) === 1);
      assert.deepEqual(pageErrors, []);

      // The page as a reader first sees it, with the admin-only POST /api/v1/concerts opened.
      await page.reload();
      await page.locator('details.op').first().waitFor();
      await page.locator('#createConcert > summary').click();
      await page.screenshot({ path: path.join(outputDir, 'api-docs.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

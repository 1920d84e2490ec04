import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { helmetHeaders } from '../../lib/security-headers.js';
import { freePort } from '../../scripts/stack/processes.js';
import { CORS_ALLOWED_HEADERS } from '../../services/gateway/cors.js';
import { gatewayConfigSchema } from '../../services/gateway/gateway.config.js';
import { placeholderGatewayConfig } from '../api-contract/support/served-routes.js';
import type { ErrorBody } from '../support/api-types.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { ACCESS_TABLE, badInputCaller, shapeFor } from './support/access-table.js';
import { writeFigures } from './support/answers.js';
import { toRawRequest, type RequestShape } from './support/bad-inputs.js';
import { publicEndpoints, type Endpoint } from './support/endpoints.js';
import { rawRequest, type RawRequest, type RawResponse } from './support/raw-http.js';
import { buildWorld, GENEROUS_LIMITS, type World } from './support/world.js';

const ALLOWED = ['https://tickets.example.com', 'http://localhost:5173'];
const DISALLOWED = [
  'https://evil.example',
  'null',
  'https://tickets.example.com.evil.example',
  'http://tickets.example.com',
  'https://tickets.example.com:8443',
  'https://sub.tickets.example.com',
];
const HELMET = helmetHeaders();

let platform: TestPlatform;
let world: World;
let endpoints: Endpoint[];
let noCorsGateway: string;

const figures = {
  responses: 0,
  statuses: {} as Record<string, number>,
  helmetHeadersPerResponse: HELMET.length,
  missingHelmetHeaders: 0,
  poweredBy: 0,
  corsCases: 0,
  corsFailures: 0,
  noStoreChecked: 0,
  noStoreMissing: 0,
};

before(async () => {
  const cors = ALLOWED.join(',');
  platform = await startTestPlatform('security-headers', {
    env: GENEROUS_LIMITS,
    serviceEnv: { gateway: { CORS_ORIGINS: cors }, booking: { CORS_ORIGINS: cors } },
  });
  world = await buildWorld(platform);
  ({ endpoints } = await publicEndpoints(platform.gatewayUrl));
  // The default: no CORS_ORIGINS at all.
  noCorsGateway = (await platform.startEdge({ CORS_ORIGINS: '' }, 'edge-no-cors')).url;
});

after(async () => {
  writeFigures('headers', figures);
  await platform?.stop();
});

/** helmet's headers (each with helmet's value) and no X-Powered-By; the problems, empty when right. */
function headerProblems(res: RawResponse): string[] {
  figures.responses += 1;
  figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
  const problems: string[] = [];
  for (const [name, value] of HELMET) {
    const got = res.headers[name.toLowerCase()];
    if (got !== value) {
      figures.missingHelmetHeaders += 1;
      problems.push(`${name}: ${got === undefined ? 'missing' : `${JSON.stringify(got)} instead of ${JSON.stringify(value)}`}`);
    }
  }
  if (res.headers['x-powered-by'] !== undefined) {
    figures.poweredBy += 1;
    problems.push(`X-Powered-By: ${String(res.headers['x-powered-by'])}`);
  }
  return problems;
}

/** One success and one error answer of every public endpoint, and the answers no endpoint owns. */
async function everyKindOfResponse(): Promise<Array<{ what: string; res: RawResponse }>> {
  const answers: Array<{ what: string; res: RawResponse }> = [];
  const send = async (what: string, request: RawRequest, base = platform.gatewayUrl) => answers.push({ what, res: await rawRequest(base, request) });
  const ordered = [...endpoints].sort((a, b) => (ACCESS_TABLE[a.key]?.last ?? 0) - (ACCESS_TABLE[b.key]?.last ?? 0));
  for (const endpoint of ordered) {
    const row = ACCESS_TABLE[endpoint.key];
    assert.ok(row, `${endpoint.key} is not in the access table`);
    const caller = badInputCaller(row);
    const valid = await row.request(world, caller);
    const shape = shapeFor(world, caller, valid);
    await send(`${endpoint.key} (valid)`, toRawRequest(endpoint.method, endpoint.path, shape));
    const param = /\{([^}]+)\}/.exec(endpoint.path)?.[1];
    const failing: RequestShape =
      row.expect.anonymous === 401
        ? { ...shape, token: undefined }
        : param
          ? { ...shape, params: { ...shape.params, [param]: 'not-an-id' } }
          : endpoint.method !== 'get'
            ? { ...shape, body: undefined, rawBody: '{' }
            : { ...shape, query: `q=${'x'.repeat(20_000)}` };
    await send(`${endpoint.key} (error)`, toRawRequest(endpoint.method, endpoint.path, failing));
  }
  await send('unknown path at the gateway', { method: 'GET', path: '/nope' });
  await send('unknown path under a service', { method: 'GET', path: '/api/v1/concerts/a/b/c/d' });
  await send('unknown method', { method: 'PUT', path: '/api/v1/concerts', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  await send('HEAD', { method: 'HEAD', path: '/api/v1/concerts' });
  await send('413 from the gateway', {
    method: 'POST',
    path: '/api/v1/auth/login',
    headers: { 'Content-Type': 'application/json' },
    body: `{"a":"${'x'.repeat(70_000)}"}`,
  });
  await send('431 from the gateway', { method: 'GET', path: `/api/v1/concerts?q=${'x'.repeat(20_000)}` });
  await send('431 for a header', { method: 'GET', path: '/health', headers: { 'X-Filler': 'x'.repeat(20_000) } });
  await send('broken percent-encoding', { method: 'GET', path: '/api/v1/concerts/%E0%A4%A' });
  await send('preflight, allowed origin', {
    method: 'OPTIONS',
    path: '/api/v1/bookings',
    headers: { Origin: ALLOWED[0], 'Access-Control-Request-Method': 'POST' },
  });
  await send('preflight, other origin', {
    method: 'OPTIONS',
    path: '/api/v1/bookings',
    headers: { Origin: DISALLOWED[0], 'Access-Control-Request-Method': 'POST' },
  });
  await send('Socket.IO polling handshake', { method: 'GET', path: '/socket.io/?EIO=4&transport=polling' });
  await send('Socket.IO, bad request', { method: 'GET', path: '/socket.io/?EIO=9&transport=nope' });
  await send('the gateway without CORS', { method: 'GET', path: '/api/v1/concerts' }, noCorsGateway);
  return answers;
}

describe("helmet's headers on every response, no X-Powered-By", () => {
  test('every endpoint, success and error alike, and the answers no endpoint owns (404, 413, 431, preflights, Socket.IO)', async () => {
    const problems: string[] = [];
    const answers = await everyKindOfResponse();
    for (const { what, res } of answers) {
      const found = headerProblems(res);
      if (found.length) problems.push(`${what} → ${res.status}: ${found.join('; ')}`);
    }
    const statuses = new Set(answers.map((a) => a.res.status));
    for (const status of [200, 201, 202, 204, 400, 401, 403, 404, 413, 431]) assert.ok(statuses.has(status), `no ${status} among the answers checked`);
    assert.deepEqual(problems, []);
  });

  test('an upstream down: 503 from the edge in the public error shape, with them too', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const edge = await platform.startEdge({ CONCERT_URL: dead }, 'edge-concert-down');
    const res = await rawRequest(edge.url, { method: 'GET', path: '/api/v1/concerts' });
    assert.equal(res.status, 503);
    assert.equal((res.json as Partial<ErrorBody> | undefined)?.error?.code, 'service_unavailable');
    assert.deepEqual(headerProblems(res), []);
    const health = await rawRequest(edge.url, { method: 'GET', path: '/health' });
    assert.equal(health.status, 503, 'the public /health says a backend is down');
  });
});

describe('CORS for the REST API: only the configured origins', () => {
  const acao = (res: RawResponse) => res.headers['access-control-allow-origin'];
  const list = (value: string | string[] | undefined) =>
    String(value ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  const check = (problems: string[], what: string, ok: boolean) => {
    figures.corsCases += 1;
    if (!ok) {
      figures.corsFailures += 1;
      problems.push(what);
    }
  };

  test('an allowed origin gets a preflight for every endpoint, with the methods and headers the API takes', async () => {
    const problems: string[] = [];
    for (const endpoint of endpoints) {
      const path = endpoint.path.replace(/\{[^}]+\}/g, world.concert.id);
      for (const origin of ALLOWED) {
        const requested = ['authorization', 'content-type', 'idempotency-key', 'prefer', 'x-admission-token'];
        const res = await rawRequest(platform.gatewayUrl, {
          method: 'OPTIONS',
          path,
          headers: { Origin: origin, 'Access-Control-Request-Method': endpoint.method.toUpperCase(), 'Access-Control-Request-Headers': requested.join(',') },
        });
        const where = `${endpoint.key} from ${origin}`;
        check(problems, `${where}: status ${res.status}`, res.status === 204);
        check(problems, `${where}: Access-Control-Allow-Origin ${acao(res)}`, acao(res) === origin);
        check(
          problems,
          `${where}: methods ${res.headers['access-control-allow-methods']}`,
          list(res.headers['access-control-allow-methods']).includes(endpoint.method),
        );
        const allowedHeaders = list(res.headers['access-control-allow-headers']);
        check(
          problems,
          `${where}: headers ${res.headers['access-control-allow-headers']}`,
          requested.every((h) => allowedHeaders.includes(h)),
        );
        check(problems, `${where}: Vary ${res.headers.vary}`, list(res.headers.vary).includes('origin'));
        check(problems, `${where}: Access-Control-Max-Age ${res.headers['access-control-max-age']}`, Number(res.headers['access-control-max-age']) > 0);
        check(problems, `${where}: no credentials mode (tokens travel in Authorization)`, res.headers['access-control-allow-credentials'] === undefined);
      }
    }
    for (const name of ['Authorization', 'Idempotency-Key', 'Prefer']) assert.ok(CORS_ALLOWED_HEADERS.includes(name), `${name} is allowed`);
    assert.deepEqual(problems, []);
  });

  test('an allowed origin can read every answer, errors included, and the headers a page needs', async () => {
    const problems: string[] = [];
    const origin = ALLOWED[0];
    const answers: Array<[string, RawResponse]> = [
      ['list concerts', await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/api/v1/concerts', headers: { Origin: origin } })],
      ['401', await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/api/v1/auth/profile', headers: { Origin: origin } })],
      ['404 from a service', await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/api/v1/concerts/not-an-id', headers: { Origin: origin } })],
      ['404 from the gateway', await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/nope', headers: { Origin: origin } })],
      [
        '413 from the gateway',
        await rawRequest(platform.gatewayUrl, {
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { Origin: origin, 'Content-Type': 'application/json' },
          body: `{"a":"${'x'.repeat(70_000)}"}`,
        }),
      ],
      [
        '202 with Location',
        await rawRequest(platform.gatewayUrl, {
          method: 'POST',
          path: '/api/v1/bookings',
          headers: { Origin: origin, 'Content-Type': 'application/json', Authorization: `Bearer ${world.otherFan.token}` },
          body: JSON.stringify({ concertId: world.openConcert.id, seatTypeId: world.openConcert.seatTypeId }),
        }),
      ],
    ];
    for (const [what, res] of answers) {
      check(problems, `${what}: Access-Control-Allow-Origin ${acao(res)}`, acao(res) === origin);
      const exposed = list(res.headers['access-control-expose-headers']);
      check(
        problems,
        `${what}: exposes ${res.headers['access-control-expose-headers']}`,
        ['location', 'retry-after', 'x-request-id'].every((h) => exposed.includes(h)),
      );
      check(problems, `${what}: Vary ${res.headers.vary}`, list(res.headers.vary).includes('origin'));
    }
    assert.equal(answers[5][1].status, 202, 'the booking was queued');
    assert.deepEqual(problems, []);
  });

  test('any other origin gets no Access-Control-Allow-Origin, and its preflight is refused', async () => {
    const problems: string[] = [];
    for (const origin of DISALLOWED) {
      const simple = await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/api/v1/concerts', headers: { Origin: origin } });
      check(problems, `${origin} GET: status ${simple.status}`, simple.status === 200);
      check(problems, `${origin} GET: Access-Control-Allow-Origin ${acao(simple)}`, acao(simple) === undefined);
      check(
        problems,
        `${origin} GET: exposes ${simple.headers['access-control-expose-headers']}`,
        simple.headers['access-control-expose-headers'] === undefined,
      );
      const preflight = await rawRequest(platform.gatewayUrl, {
        method: 'OPTIONS',
        path: '/api/v1/bookings',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
      });
      check(
        problems,
        `${origin} preflight: status ${preflight.status}`,
        preflight.status === 403 && (preflight.json as Partial<ErrorBody> | undefined)?.error?.code === 'forbidden',
      );
      check(problems, `${origin} preflight: Access-Control-Allow-Origin ${acao(preflight)}`, acao(preflight) === undefined);
      check(
        problems,
        `${origin} preflight: methods ${preflight.headers['access-control-allow-methods']}`,
        preflight.headers['access-control-allow-methods'] === undefined,
      );
    }
    assert.deepEqual(problems, []);
  });

  test('with CORS_ORIGINS empty (the default) no origin gets cross-origin access', async () => {
    const problems: string[] = [];
    for (const origin of [...ALLOWED, ...DISALLOWED]) {
      const simple = await rawRequest(noCorsGateway, { method: 'GET', path: '/api/v1/concerts', headers: { Origin: origin } });
      check(problems, `${origin} GET: ${simple.status}, Access-Control-Allow-Origin ${acao(simple)}`, simple.status === 200 && acao(simple) === undefined);
      const preflight = await rawRequest(noCorsGateway, {
        method: 'OPTIONS',
        path: '/api/v1/concerts',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      check(
        problems,
        `${origin} preflight: ${preflight.status}, Access-Control-Allow-Origin ${acao(preflight)}`,
        preflight.status === 403 && acao(preflight) === undefined,
      );
    }
    assert.deepEqual(problems, []);
  });

  test('Socket.IO keeps its own CORS: one Access-Control-Allow-Origin, from the realtime service, not doubled by the gateway', async () => {
    const problems: string[] = [];
    const allowed = await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/socket.io/?EIO=4&transport=polling', headers: { Origin: ALLOWED[0] } });
    check(problems, `allowed: status ${allowed.status}`, allowed.status === 200);
    check(
      problems,
      `allowed: ${allowed.headerNames.filter((h) => h === 'access-control-allow-origin').length} Access-Control-Allow-Origin headers (${acao(allowed)})`,
      allowed.headerNames.filter((h) => h === 'access-control-allow-origin').length === 1 && acao(allowed) === ALLOWED[0],
    );
    const other = await rawRequest(platform.gatewayUrl, { method: 'GET', path: '/socket.io/?EIO=4&transport=polling', headers: { Origin: DISALLOWED[0] } });
    check(problems, `other origin: Access-Control-Allow-Origin ${acao(other)}`, acao(other) === undefined);
    assert.deepEqual(problems, []);
  });

  test('CORS_ORIGINS takes exact origins and fails at start otherwise', () => {
    const base = placeholderGatewayConfig();
    const parse = (CORS_ORIGINS: string) =>
      gatewayConfigSchema.safeParse({ ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, String(v)])), CORS_ORIGINS });
    const ok = parse(' https://tickets.example.com , http://localhost:5173 ');
    assert.ok(ok.success);
    assert.deepEqual(ok.data.CORS_ORIGINS, ['https://tickets.example.com', 'http://localhost:5173']);
    assert.deepEqual(parse('').data?.CORS_ORIGINS, []);
    for (const bad of ['*', 'https://tickets.example.com/', 'tickets.example.com', 'https://tickets.example.com/app', 'ftp://files.example.com']) {
      assert.equal(parse(bad).success, false, `${bad} is refused`);
    }
  });
});

describe('Cache-Control: no-store on tokens and personal answers', () => {
  // Answers a shared cache (a proxy, a CDN, the browser's back button) must never keep.
  const PERSONAL = [
    'POST /api/v1/auth/register',
    'POST /api/v1/auth/login',
    'POST /api/v1/auth/refresh',
    'POST /api/v1/auth/change-password',
    'GET /api/v1/auth/profile',
    'GET /api/v1/bookings/my-bookings',
    'GET /api/v1/bookings/requests/{requestId}',
    'GET /api/v1/bookings/{id}',
    'GET /api/v1/notifications',
    'POST /api/v1/waiting-room/{concertId}/join',
    'GET /api/v1/waiting-room/{concertId}/status',
  ];

  test('every token answer and every answer about the caller says Cache-Control: no-store', async () => {
    const problems: string[] = [];
    for (const key of PERSONAL) {
      const endpoint = endpoints.find((e) => e.key === key);
      if (!endpoint && key.endsWith('change-password')) continue; // not every build has it
      assert.ok(endpoint, `${key} is not served`);
      const row = ACCESS_TABLE[key];
      assert.ok(row, `${key} is not in the access table`);
      const caller = badInputCaller(row);
      const shape = shapeFor(world, caller, await row.request(world, caller));
      const res = await rawRequest(platform.gatewayUrl, toRawRequest(endpoint.method, endpoint.path, shape));
      assert.ok(res.status >= 200 && res.status < 300, `${key}: ${res.status} ${res.text.slice(0, 200)}`);
      const cacheControl = String(res.headers['cache-control'] ?? '');
      if (!/\bno-store\b/.test(cacheControl)) problems.push(`${key} (${res.status}): Cache-Control ${JSON.stringify(cacheControl || null)}`);
    }
    figures.noStoreChecked = PERSONAL.length;
    figures.noStoreMissing = problems.length;
    assert.deepEqual(problems, []);
  });
});

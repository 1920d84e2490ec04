import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { SERVICES, type ServiceName } from '../../scripts/stack/platform.js';
import type { Booking } from '../support/api-types.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { ACCESS_TABLE, badInputCaller, shapeFor } from './support/access-table.js';
import { errorAnswerProblems, unhealthyServices, writeFigures } from './support/answers.js';
import {
  bodyCases,
  credentialCases,
  headerCases,
  hugeRequestCases,
  ignoredQueryCase,
  pathParamCases,
  queryCases,
  toRawRequest,
  transportCases,
  type BadCase,
  type JsonSchema,
  type RequestShape,
} from './support/bad-inputs.js';
import { publicEndpoints, tableCoverage, type Endpoint } from './support/endpoints.js';
import { rawRequest } from './support/raw-http.js';
import { fingerprintDiff, fingerprintStores, quiescentFingerprint, REDIS_EXCLUSIONS } from './support/store-fingerprint.js';
import { buildWorld, GENEROUS_LIMITS, type World } from './support/world.js';

const BODY_LIMIT = 64 * 1024;
const CASES_AT_ONCE = 4;

let platform: TestPlatform;
let world: World;
let db: mongoose.Connection;
let redis: Redis;
let endpoints: Endpoint[];
let components: Record<string, JsonSchema>;

const figures = {
  endpoints: 0,
  cases: 0,
  answered4xx: 0,
  server5xx: 0,
  wrongAnswers: 0,
  leaks: 0,
  written: 0,
  ignoredQueriesAnswered2xx: 0,
  exceptionsAnswered2xx: 0,
  byCategory: {} as Record<string, number>,
  byStatus: {} as Record<string, number>,
  writeCheckExclusions: REDIS_EXCLUSIONS.map((e) => `${e.match.source}${e.fields ? ` (fields ${e.fields.join(', ')})` : ''}: ${e.why}`),
  exceptions: [] as string[],
  unhealthy: [] as string[],
};

before(async () => {
  platform = await startTestPlatform('security-bad-input', { env: GENEROUS_LIMITS });
  db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  redis = new Redis(platform.redisUrl, { lazyConnect: false });
  world = await buildWorld(platform);
  ({ endpoints, components } = await publicEndpoints(platform.gatewayUrl));
});

after(async () => {
  figures.endpoints = endpoints?.length ?? 0;
  writeFigures('bad-input', figures);
  redis?.disconnect();
  await db?.close();
  await platform?.stop();
});

/** Every bad input for one endpoint, made from its valid request. */
function casesFor(endpoint: Endpoint, shape: RequestShape): BadCase[] {
  const row = ACCESS_TABLE[endpoint.key];
  const op = endpoint.operation;
  const cases: BadCase[] = [];
  const params = op?.parameters ?? [];
  const bodySchema = op?.requestBody?.content?.['application/json']?.schema;
  const method = endpoint.method.toUpperCase();

  if (bodySchema) cases.push(...bodyCases(bodySchema, shape.body, components));
  if (method !== 'GET') cases.push(...transportCases(BODY_LIMIT));
  const pathNames = [...endpoint.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  for (const name of pathNames) cases.push(...pathParamCases(name, shape.params[name], row.nonexistentIdStatus ?? 404));
  const queryParams = params.filter((p) => p.in === 'query');
  if (queryParams.length) cases.push(...queryCases(queryParams));
  else if (method === 'GET') cases.push(ignoredQueryCase(row.expect[badInputCaller(row)]));
  cases.push(...headerCases(params.filter((p) => p.in === 'header')));
  if (row.expect.anonymous === 401) {
    const auth = platform.services.get('auth')!.env;
    const caller = badInputCaller(row) === 'admin' ? world.admin : world.fan;
    cases.push(
      ...credentialCases(
        { privateKey: auth.JWT_PRIVATE_KEY!, publicKey: auth.JWT_PUBLIC_KEY! },
        { id: caller.id, email: caller.email, role: caller === world.admin ? 'admin' : 'fan' },
      ),
    );
  }
  cases.push(...hugeRequestCases());
  cases.push(...(row.extraBadInputs?.(world) ?? []));
  return cases;
}

describe('bad input on every public endpoint', () => {
  test('every public endpoint is in the access table (a new endpoint fails here until it is listed)', () => {
    const { missing, stale } = tableCoverage(endpoints, Object.keys(ACCESS_TABLE));
    assert.deepEqual(missing, [], 'served but not in test/security/support/access-table.ts');
    assert.deepEqual(stale, [], 'in the access table but not served');
    assert.ok(endpoints.filter((e) => e.source === 'openapi').length >= 20, `only ${endpoints.length} endpoints found; the discovery is broken`);
  });

  test('the write check sees a write (it can fail)', async () => {
    const before = await quiescentFingerprint(db, redis);
    await world.freshAccount('write-probe');
    const after = await fingerprintStores(db, redis);
    assert.ok(
      fingerprintDiff(before, after).some((d) => d.startsWith('~ mongo:users')),
      'registering a fan must change the users collection',
    );
  });

  test('each bad input gets the right 4xx in the public error shape, writes nothing, leaks nothing', async (t) => {
    for (const endpoint of endpoints) {
      await t.test(endpoint.key, async () => {
        const row = ACCESS_TABLE[endpoint.key];
        assert.ok(row, `${endpoint.key} is not in the access table`);
        const caller = badInputCaller(row);
        const valid = await row.request(world, caller);
        const shape = shapeFor(world, caller, valid);
        if (row.nonexistentIdStatus && row.nonexistentIdStatus !== 404)
          figures.exceptions.push(`${endpoint.key}: an id of nothing answers ${row.nonexistentIdStatus} (${row.note})`);
        const cases = casesFor(endpoint, shape);
        const before = await quiescentFingerprint(db, redis);
        const problems: string[] = [];
        // A few at a time: they are independent, and none may change anything.
        const runCase = async (badCase: BadCase) => {
          const request = toRawRequest(endpoint.method, endpoint.path, badCase.mutate(shape));
          const res = await rawRequest(platform.gatewayUrl, request);
          figures.cases += 1;
          figures.byCategory[badCase.category] = (figures.byCategory[badCase.category] ?? 0) + 1;
          figures.byStatus[res.status] = (figures.byStatus[res.status] ?? 0) + 1;
          if (res.status >= 500) figures.server5xx += 1;
          let caseProblems: string[];
          if (badCase.expect.status < 400) {
            // Ignored query keys, and the documented exceptions of the access table.
            caseProblems = res.status === badCase.expect.status ? [] : [`status ${res.status}, expected ${badCase.expect.status}: ${res.text.slice(0, 200)}`];
            if (res.status >= 200 && res.status < 300) {
              if (badCase.category === 'ignored-query') figures.ignoredQueriesAnswered2xx += 1;
              else figures.exceptionsAnswered2xx += 1;
            }
          } else {
            caseProblems = errorAnswerProblems(res, badCase.expect);
            if (res.status >= 400 && res.status < 500) figures.answered4xx += 1;
          }
          if (caseProblems.some((p) => p.startsWith('leaks'))) figures.leaks += 1;
          if (caseProblems.length) {
            figures.wrongAnswers += 1;
            problems.push(`[${badCase.category}] ${badCase.name}: ${caseProblems.join('; ')}`);
          }
        };
        for (let i = 0; i < cases.length; i += CASES_AT_ONCE) await Promise.all(cases.slice(i, i + CASES_AT_ONCE).map(runCase));
        const after = await fingerprintStores(db, redis);
        const written = fingerprintDiff(before, after);
        if (written.length) {
          figures.written += 1;
          problems.push(`the bad inputs changed the stores: ${written.join(', ')}`);
        }
        assert.deepEqual(problems, [], `${problems.length} of ${cases.length} bad inputs answered wrongly`);
      });
    }
  });

  test('a chunked body on DELETE or OPTIONS reaches the service as a body, never as a second request (no smuggling)', async () => {
    const cancelled = await world.freshBooking(world.fan);
    const dropped = await rawRequest(platform.gatewayUrl, {
      method: 'DELETE',
      path: `/api/v1/bookings/${cancelled}`,
      headers: { Authorization: `Bearer ${world.fan.token}`, 'Content-Type': 'application/json' },
      chunks: [Buffer.from('not json')],
    });
    assert.deepEqual(errorAnswerProblems(dropped, { status: 400, code: 'malformed_json' }), [], 'a DELETE whose chunked body is not JSON');
    assert.equal(
      (await platform.api.get<Booking>(`/api/v1/bookings/${cancelled}`, world.fan.token)).body.status,
      'confirmed',
      'the DELETE was carried out without its body',
    );
    for (const method of ['DELETE', 'OPTIONS']) {
      const bookingId = await world.freshBooking(world.fan);
      const smuggled = `DELETE /api/v1/bookings/${bookingId} HTTP/1.1\r\nHost: booking\r\nAuthorization: Bearer ${world.fan.token}\r\nContent-Length: 0\r\n\r\n`;
      const res = await rawRequest(platform.gatewayUrl, {
        method,
        path: `/api/v1/bookings/${new mongoose.Types.ObjectId().toHexString()}`,
        headers: { Authorization: `Bearer ${world.fan.token}`, 'Content-Type': 'application/json' },
        chunks: [Buffer.from(smuggled)],
      });
      // Whatever was left on the gateway's keep-alive connections is read by the next requests.
      const next = await Promise.all(Array.from({ length: 5 }, () => platform.api.get('/api/v1/bookings/my-bookings', world.otherFan.token)));
      const booking = await platform.api.get<Booking>(`/api/v1/bookings/${bookingId}`, world.fan.token);
      assert.equal(booking.body.status, 'confirmed', `${method}: the request hidden in the body was carried out`);
      assert.deepEqual(errorAnswerProblems(res, { status: 400, code: 'malformed_json' }), [], `${method} with a chunked body that is an HTTP request`);
      assert.deepEqual(
        next.map((r) => r.status),
        [200, 200, 200, 200, 200],
        'the requests after it get their own answers',
      );
    }
  });

  test('the valid requests the cases were made from are accepted (so each refusal was for the bad part)', async () => {
    const problems: string[] = [];
    for (const endpoint of endpoints.filter((e) => e.operation?.requestBody)) {
      const row = ACCESS_TABLE[endpoint.key];
      const caller = badInputCaller(row);
      const valid = await row.request(world, caller);
      const shape = shapeFor(world, caller, valid);
      const res = await rawRequest(platform.gatewayUrl, toRawRequest(endpoint.method, endpoint.path, shape));
      if (res.status !== row.expect[caller]) problems.push(`${endpoint.key}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    assert.deepEqual(problems, []);
  });

  test('every process is still healthy', async () => {
    const urls = new Map((Object.keys(SERVICES) as ServiceName[]).filter((n) => platform.ports.has(n)).map((n) => [n, platform.serviceUrl(n)]));
    figures.unhealthy = await unhealthyServices(urls);
    assert.deepEqual(figures.unhealthy, []);
  });
});

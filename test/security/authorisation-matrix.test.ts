import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { SERVICES, type ServiceName } from '../../scripts/stack/platform.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { ACCESS_TABLE, CALLERS, deniedCodeOf, shapeFor, type Caller } from './support/access-table.js';
import { errorAnswerProblems, leaksIn, unhealthyServices, writeFigures } from './support/answers.js';
import { toRawRequest } from './support/bad-inputs.js';
import { publicEndpoints, tableCoverage, type Endpoint } from './support/endpoints.js';
import { rawRequest } from './support/raw-http.js';
import { fingerprintDiff, fingerprintStores, quiescentFingerprint } from './support/store-fingerprint.js';
import { buildWorld, GENEROUS_LIMITS, type World } from './support/world.js';

let platform: TestPlatform;
let world: World;
let db: mongoose.Connection;
let redis: Redis;
let endpoints: Endpoint[];

const figures = {
  endpoints: 0,
  callers: CALLERS.length,
  cells: 0,
  allowed: 0,
  denied: 0,
  mismatches: 0,
  deniedWrites: 0,
  leaks: 0,
  ownerScopedLeaks: 0,
  matrix: {} as Record<string, Record<Caller, number>>,
  unhealthy: [] as string[],
};

before(async () => {
  platform = await startTestPlatform('security-authorisation', { env: GENEROUS_LIMITS });
  db = await mongoose.createConnection(platform.mongoUrl).asPromise();
  redis = new Redis(platform.redisUrl);
  world = await buildWorld(platform);
  ({ endpoints } = await publicEndpoints(platform.gatewayUrl));
});

after(async () => {
  figures.endpoints = endpoints?.length ?? 0;
  writeFigures('authorisation-matrix', figures);
  redis?.disconnect();
  await db?.close();
  await platform?.stop();
});

describe('authorisation matrix: every endpoint × {anonymous, fan, other fan, admin}', () => {
  test('every public endpoint is in the table, and the table lists nothing that is not served', () => {
    const { missing, stale } = tableCoverage(endpoints, Object.keys(ACCESS_TABLE));
    assert.deepEqual(missing, [], 'served but not in test/security/support/access-table.ts');
    assert.deepEqual(stale, [], 'in the access table but not served');
  });

  test('each caller gets what the table says; a denial is in the error shape and writes nothing', async (t) => {
    const ordered = [...endpoints].sort((a, b) => (ACCESS_TABLE[a.key]?.last ?? 0) - (ACCESS_TABLE[b.key]?.last ?? 0));
    for (const endpoint of ordered) {
      await t.test(endpoint.key, async () => {
        const row = ACCESS_TABLE[endpoint.key];
        assert.ok(row, `${endpoint.key} is not in the access table`);
        const problems: string[] = [];
        const got = {} as Record<Caller, number>;
        for (const caller of CALLERS) {
          const valid = await row.request(world, caller);
          const expected = row.expect[caller];
          const denied = expected >= 400;
          // A denied call that could write is checked against the stores; reads cannot write by construction.
          const checkWrites = denied && endpoint.method !== 'get';
          const before = checkWrites ? await quiescentFingerprint(db, redis) : undefined;
          const shape = shapeFor(world, caller, valid);
          const res = await rawRequest(platform.gatewayUrl, toRawRequest(endpoint.method, endpoint.path, shape));
          got[caller] = res.status;
          figures.cells += 1;
          if (denied) figures.denied += 1;
          else figures.allowed += 1;
          const cellProblems = denied
            ? errorAnswerProblems(res, { status: expected, code: deniedCodeOf(row, caller) })
            : res.status === expected
              ? []
              : [`status ${res.status}, expected ${expected}: ${res.text.slice(0, 200)}`];
          if (!denied && /json/.test(String(res.headers['content-type'])) && leaksIn(res.text).length)
            cellProblems.push(`leaks ${leaksIn(res.text).join(', ')}`);
          if (cellProblems.some((p) => p.startsWith('leaks'))) figures.leaks += 1;
          if (before) {
            const written = fingerprintDiff(before, await fingerprintStores(db, redis));
            if (written.length) {
              figures.deniedWrites += 1;
              cellProblems.push(`denied, yet the stores changed: ${written.join(', ')}`);
            }
          }
          if (cellProblems.length) {
            figures.mismatches += 1;
            problems.push(`${caller}: ${cellProblems.join('; ')}`);
          }
        }
        figures.matrix[endpoint.key] = got;
        assert.deepEqual(problems, [], `${endpoint.key}${row.note ? ` (${row.note})` : ''}`);
      });
    }
  });

  test("owner-scoped lists hold only the caller's own items", async () => {
    const { api } = platform;
    const mine = async (url: string, token: string) => {
      const res = await api.get(url, token);
      assert.equal(res.status, 200, `${url}: ${JSON.stringify(res.body)}`);
      return res.body as Array<Record<string, unknown>>;
    };
    const problems: string[] = [];
    const fansBookings = await mine('/api/v1/bookings/my-bookings?limit=100', world.fan.token);
    if (!fansBookings.some((b) => b.id === world.booking.id))
      problems.push("the fan's own booking is missing from the fan's list (the check below would prove nothing)");
    const fansEmails = await mine('/api/v1/notifications?limit=100', world.fan.token);
    if (fansEmails.length === 0) problems.push("the fan's own emails are missing from the fan's list (the check below would prove nothing)");
    // The matrix ended with the admin's logout, which revoked world.admin's token: sign in again.
    const others = { otherFan: world.otherFan, admin: await world.freshAdminSession() };
    for (const [caller, account] of Object.entries(others)) {
      const bookings = await mine('/api/v1/bookings/my-bookings?limit=100', account.token);
      const strangers = bookings.filter((b) => b.userId !== account.id || b.id === world.booking.id);
      if (strangers.length) problems.push(`${caller}'s my-bookings holds others' bookings: ${JSON.stringify(strangers).slice(0, 300)}`);
      const emails = await mine('/api/v1/notifications?limit=100', account.token);
      const fanIds = new Set(fansEmails.map((e) => e.id));
      const leaked = emails.filter((e) => fanIds.has(e.id) || JSON.stringify(e).includes(world.fan.email));
      if (leaked.length) problems.push(`${caller}'s notifications hold the fan's emails: ${JSON.stringify(leaked).slice(0, 300)}`);
    }
    figures.ownerScopedLeaks = problems.filter((p) => p.includes('holds') || p.includes('hold the')).length;
    assert.deepEqual(problems, []);
  });

  test('every process is still healthy', async () => {
    const urls = new Map((Object.keys(SERVICES) as ServiceName[]).filter((n) => platform.ports.has(n)).map((n) => [n, platform.serviceUrl(n)]));
    figures.unhealthy = await unhealthyServices(urls);
    assert.deepEqual(figures.unhealthy, []);
  });
});

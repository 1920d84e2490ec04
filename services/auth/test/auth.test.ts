import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import http from 'node:http';
import mongoose from 'mongoose';
import type { z } from 'zod';
import type { profileResponse, sessionResponse, tokenPairResponse } from '../auth.openapi.js';
import { assertError } from '../../../test/support/assertions.js';
import { DEV_ADMIN, registerFan, startTestPlatform, type TestPlatform } from '../../../test/support/test-platform.js';

type Session = z.infer<typeof sessionResponse>;
type TokenPair = z.infer<typeof tokenPairResponse>;
type Profile = z.infer<typeof profileResponse>;

let platform: TestPlatform;
let db: mongoose.Connection;
const userCount = () => db.collection('users').countDocuments();

before(async () => {
  platform = await startTestPlatform('auth', {
    only: ['auth', 'concert', 'booking', 'notification', 'waiting-room', 'gateway'],
    serviceEnv: { auth: { LOGIN_LIMIT_PER_CLIENT: '5', LOGIN_LIMIT_PER_IP: '1000', ACCESS_TOKEN_TTL_SECONDS: '60' } },
  });
  db = await mongoose.createConnection(platform.mongoUrl).asPromise();
});
after(async () => {
  await db?.close();
  await platform?.stop();
});

/** POSTs JSON with `Expect: 100-continue`: the body is written only if the server asks for it. */
function postExpectingContinue(baseUrl: string, path: string, body: string): Promise<{ status: number; json: unknown }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString('utf8') || 'null') as unknown }));
      },
    );
    req.on('continue', () => req.end(body));
    req.on('error', reject);
  });
}

describe('auth through the gateway', () => {
  test('register → login → profile → refresh → logout', async () => {
    const { api } = platform;
    const reg = await api.post<Session>('/api/v1/auth/register', { email: '  Mixed.Case@Example.COM ', password: 'correct-horse-battery', name: 'Mia' });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    assert.equal(reg.body.user.email, 'mixed.case@example.com');
    assert.equal(reg.body.user.role, 'fan');
    assert.equal((reg.body.user as { passwordHash?: unknown }).passwordHash, undefined);
    assert.equal(typeof reg.body.accessToken, 'string');

    const login = await api.post<Session>('/api/v1/auth/login', { email: 'MIXED.case@example.com', password: 'correct-horse-battery' });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.id, reg.body.user.id);

    const profile = await api.get<Profile>('/api/v1/auth/profile', login.body.accessToken);
    assert.equal(profile.status, 200);
    assert.deepEqual(profile.body.user, reg.body.user);

    const refreshed = await api.post<TokenPair>('/api/v1/auth/refresh', { refreshToken: login.body.refreshToken });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refreshToken, login.body.refreshToken);
    assert.equal((await api.get('/api/v1/auth/profile', refreshed.body.accessToken)).status, 200);

    const logout = await api.post('/api/v1/auth/logout', undefined, refreshed.body.accessToken);
    assert.equal(logout.status, 204);
    assertError(await api.post('/api/v1/auth/refresh', { refreshToken: refreshed.body.refreshToken }), 401, 'invalid_refresh_token');
    // The registration's own session was revoked by logout too.
    assertError(await api.post('/api/v1/auth/refresh', { refreshToken: reg.body.refreshToken }), 401, 'invalid_refresh_token');
  });

  test('two concurrent refreshes with one token: exactly one succeeds', async () => {
    const fan = await registerFan(platform.api);
    const results = await Promise.all(Array.from({ length: 10 }, () => platform.api.post('/api/v1/auth/refresh', { refreshToken: fan.refreshToken })));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
  });

  test('the same email registered twice (even concurrently) yields one account and 409s', async () => {
    const before = await userCount();
    const body = { email: `race-${Date.now()}@test.local`, password: 'correct-horse-battery', name: 'Racer' };
    const results = await Promise.all(Array.from({ length: 8 }, () => platform.api.post('/api/v1/auth/register', body)));
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    for (const r of results.filter((r) => r.status !== 201)) assertError(r, 409, 'email_taken');
    assert.equal(await userCount(), before + 1);
  });

  test('wrong password and unknown email get the same answer', async () => {
    const fan = await registerFan(platform.api);
    const wrong = await platform.api.post('/api/v1/auth/login', { email: fan.email, password: 'not-the-password' });
    const unknown = await platform.api.post('/api/v1/auth/login', { email: 'nobody@test.local', password: 'not-the-password' });
    assertError(wrong, 401, 'invalid_credentials');
    assertError(unknown, 401, 'invalid_credentials');
    assert.deepEqual(wrong.body, unknown.body);
  });

  test('login is rate limited per (email, client) with Retry-After', async () => {
    const fan = await registerFan(platform.api);
    const attempts = [];
    for (let i = 0; i < 7; i++) attempts.push(await platform.api.post('/api/v1/auth/login', { email: fan.email, password: 'wrong-password' }));
    assert.deepEqual(
      attempts.map((r) => r.status),
      [401, 401, 401, 401, 401, 429, 429],
    );
    assertError(attempts[6], 429, 'rate_limited');
    assert.ok(Number(attempts[6].headers.get('retry-after')) >= 1);
  });

  test('the admin from ADMIN_EMAIL / ADMIN_PASSWORD can log in', async () => {
    const res = await platform.api.post<Session>('/api/v1/auth/login', DEV_ADMIN);
    assert.equal(res.status, 200);
    assert.equal(res.body.user.role, 'admin');
  });
});

// Forged, expired, not-yet-valid and revoked tokens, and refresh-token replay, are proven on every
// service (Socket.IO too) in test/security/tokens.test.ts.
describe('auth refuses bad input and bad tokens, and writes nothing', () => {
  const valid = { email: 'valid@test.local', password: 'correct-horse-battery', name: 'Val' };
  const badBodies: Array<[string, unknown]> = [
    ['missing email', { password: valid.password, name: valid.name }],
    ['missing password', { email: valid.email, name: valid.name }],
    ['wrong types', { email: 42, password: true, name: ['x'] }],
    ['operator injection in email', { ...valid, email: { $gt: '' } }],
    ['extra field', { ...valid, role: 'admin' }],
    ['prototype pollution key', JSON.parse(`{"email":"p@test.local","password":"correct-horse-battery","name":"P","__proto__":{"role":"admin"}}`)],
    ['empty name', { ...valid, name: '' }],
    ['control characters in name', { ...valid, name: 'bad\u0000name' }],
    ['huge name', { ...valid, name: 'x'.repeat(10_000) }],
    ['password over 72 bytes', { ...valid, password: 'é'.repeat(40) }],
    ['not an email', { ...valid, email: 'not-an-email' }],
    ['array body', [valid]],
  ];
  for (const [name, body] of badBodies) {
    test(`register with ${name} → 400`, async () => {
      const before = await userCount();
      const res = await platform.api.request('POST', '/api/v1/auth/register', {
        rawBody: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      assertError(res, 400, 'validation_failed');
      assert.equal(await userCount(), before);
    });
  }

  test('login with operator injection → 400, not a login', async () => {
    assertError(await platform.api.post('/api/v1/auth/login', { email: { $gt: '' }, password: { $ne: '' } }), 400, 'validation_failed');
    assertError(await platform.api.post('/api/v1/auth/login', { email: DEV_ADMIN.email, password: { $ne: '' } }), 400, 'validation_failed');
  });

  test('malformed JSON → 400 malformed_json', async () => {
    const res = await platform.api.request('POST', '/api/v1/auth/register', {
      rawBody: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    });
    assertError(res, 400, 'malformed_json');
  });

  test('wrong content type → 415', async () => {
    const res = await platform.api.request('POST', '/api/v1/auth/register', {
      rawBody: 'email=a@b.c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(res, 415, 'unsupported_media_type');
  });

  test('a 2 MB body → 413 at the gateway, nothing written', async () => {
    const before = await userCount();
    // The edge answers 413 from the declared length and closes without reading the body, so a
    // client still uploading may see EPIPE before the answer. Sending `Expect: 100-continue` lets
    // the answer arrive before any of the 2 MB is written (the refusal is the same either way).
    const res = await postExpectingContinue(platform.api.baseUrl, '/api/v1/auth/register', JSON.stringify({ ...valid, name: 'x'.repeat(2 * 1024 * 1024) }));
    assertError({ status: res.status, body: res.json, headers: new Headers() }, 413, 'payload_too_large');
    assert.equal(await userCount(), before);
  });

  test('unknown routes → 404 in the error shape; no X-Powered-By; helmet headers', async () => {
    const res = await platform.api.get('/api/v1/nothing-here');
    assertError(res, 404, 'route_not_found');
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('x-request-id'));
  });

  test('health reports every upstream', async () => {
    const res = await platform.api.get<{ status: string }>('/health');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
  });
});

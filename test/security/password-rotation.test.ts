/**
 * Issue 18: passwords can be rotated. A user changes theirs (the current one is
 * required, attempts share the login budget, every earlier session ends); the admin's
 * follows ADMIN_PASSWORD at each start of auth (earlier sessions end), and an account
 * that is no longer ADMIN_EMAIL stops being admin. The platform runs in production
 * mode (its admin password generated per data dir) with auth and concert only; the
 * requests go to auth directly. Figures go to test-output/reliability/password-rotation.json.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';
import type { Session, TokenPair } from '../support/api-types.js';
import { assertError } from '../support/assertions.js';
import { ApiClient, DEV_ADMIN, startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const LOGIN_LIMIT = 4;
let platform: TestPlatform;
let auth: ApiClient;
const figures = { passwordConfirmLimit: LOGIN_LIMIT, fanSessionsEnded: 0, adminRotationRestartMs: 0, adminEmailChangeRestartMs: 0, demotedLogged: false };

before(async () => {
  platform = await startTestPlatform('security-password-rotation', {
    only: ['auth', 'concert'],
    env: { NODE_ENV: 'production' },
    serviceEnv: { auth: { LOGIN_LIMIT_PER_CLIENT: String(LOGIN_LIMIT) } },
  });
  auth = new ApiClient(platform.serviceUrl('auth'));
});

after(async () => {
  await platform?.stop();
  const dir = path.join(ROOT, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'password-rotation.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

const login = (email: string, password: string) => auth.post<Session>('/api/v1/auth/login', { email, password });
async function signIn(email: string, password: string): Promise<Session> {
  const res = await login(email, password);
  assert.equal(res.status, 200, `login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
let counter = 0;
async function register(): Promise<{ email: string; password: string; session: Session }> {
  const email = `fan-${process.pid}-${++counter}@rotation.test`;
  const password = 'correct-horse-battery';
  const res = await auth.post<Session>('/api/v1/auth/register', { email, password, name: 'Rotating Fan' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { email, password, session: res.body };
}

/** Restarts auth with `env` on top of its usual environment; resolves once it is healthy. */
async function restartAuth(env: Record<string, string>): Promise<number> {
  const started = Date.now();
  await platform.services.get('auth')!.stop();
  await platform.startService('auth', env);
  return Date.now() - started;
}

test('a production-mode platform generates a strong admin password, and gives it to auth only', async () => {
  assert.notEqual(platform.admin.password, DEV_ADMIN.password);
  assert.ok(platform.admin.password.length >= 24, 'a generated password');
  assert.equal((await signIn(platform.admin.email, platform.admin.password)).user.role, 'admin');
  assert.equal(platform.services.get('auth')!.env.ADMIN_PASSWORD, platform.admin.password);
  assert.equal(platform.services.get('concert')!.env.ADMIN_PASSWORD, undefined);
  // Whatever a caller hands every service, another process never gets it.
  const copy = await platform.startService('concert', { ADMIN_PASSWORD: platform.admin.password }, 'concert-2');
  assert.equal(copy.env.ADMIN_PASSWORD, undefined, 'a service other than auth was given ADMIN_PASSWORD');
});

test('change-password needs the current password and ends every earlier session', async () => {
  const fan = await register();
  const other = await signIn(fan.email, fan.password);
  const path = '/api/v1/auth/change-password';
  const newPassword = 'staple-battery-horse-correct';

  assertError(await auth.post(path, { currentPassword: fan.password, newPassword }), 401, 'unauthorized');
  assertError(await auth.post(path, { currentPassword: 'not-the-password', newPassword }, fan.session.accessToken), 401, 'invalid_credentials');
  assertError(await auth.post(path, { currentPassword: fan.password, newPassword: 'short' }, fan.session.accessToken), 400, 'validation_failed');
  const changed = await auth.post(path, { currentPassword: fan.password, newPassword }, fan.session.accessToken);
  assert.equal(changed.status, 204, JSON.stringify(changed.body));

  for (const session of [fan.session, other]) {
    assertError(await auth.get('/api/v1/auth/profile', session.accessToken), 401, 'unauthorized');
    assertError(await auth.post<TokenPair>('/api/v1/auth/refresh', { refreshToken: session.refreshToken }), 401, 'invalid_refresh_token');
    figures.fanSessionsEnded++;
  }
  assertError(await login(fan.email, fan.password), 401, 'invalid_credentials');
  const fresh = await signIn(fan.email, newPassword);
  assert.equal((await auth.get('/api/v1/auth/profile', fresh.accessToken)).status, 200);
});

test('wrong current passwords are rate-limited, on the budget account deletion also spends (429 rate_limited)', async () => {
  const fan = await register();
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_LIMIT; i++)
    statuses.push(
      (await auth.post('/api/v1/auth/change-password', { currentPassword: `wrong-${i}`, newPassword: 'staple-battery-horse' }, fan.session.accessToken)).status,
    );
  assert.deepEqual(statuses, [...Array<number>(LOGIN_LIMIT).fill(401), 429]);
  assertError(await auth.request('DELETE', '/api/v1/auth/me', { token: fan.session.accessToken, body: { password: fan.password } }), 429, 'rate_limited');
});

test("the admin cannot change the password by API: it is ADMIN_PASSWORD's", async () => {
  const admin = await signIn(platform.admin.email, platform.admin.password);
  const res = await auth.post(
    '/api/v1/auth/change-password',
    { currentPassword: platform.admin.password, newPassword: 'another-long-password' },
    admin.accessToken,
  );
  assertError(res, 403, 'forbidden');
});

test("a new ADMIN_PASSWORD replaces the admin's password at start and ends the admin's sessions", async () => {
  const before = await signIn(platform.admin.email, platform.admin.password);
  const rotated = randomBytes(24).toString('base64url');
  figures.adminRotationRestartMs = await restartAuth({ ADMIN_PASSWORD: rotated });

  assertError(await login(platform.admin.email, platform.admin.password), 401, 'invalid_credentials');
  assertError(await auth.get('/api/v1/auth/profile', before.accessToken), 401, 'unauthorized');
  assertError(await auth.post('/api/v1/auth/refresh', { refreshToken: before.refreshToken }), 401, 'invalid_refresh_token');
  assert.equal((await signIn(platform.admin.email, rotated)).user.role, 'admin');

  // Starting again with the same value changes nothing: the new session survives.
  const kept = await signIn(platform.admin.email, rotated);
  await restartAuth({ ADMIN_PASSWORD: rotated });
  assert.equal((await auth.get('/api/v1/auth/profile', kept.accessToken)).status, 200);
});

test('an account that is no longer ADMIN_EMAIL loses the admin role, and its sessions end', async () => {
  const password = randomBytes(24).toString('base64url');
  await restartAuth({ ADMIN_PASSWORD: password });
  const oldAdmin = await signIn(platform.admin.email, password);
  assert.equal(oldAdmin.user.role, 'admin');

  const newEmail = `new-boss-${process.pid}@rotation.test`;
  figures.adminEmailChangeRestartMs = await restartAuth({ ADMIN_EMAIL: newEmail, ADMIN_PASSWORD: password });

  assertError(await auth.get('/api/v1/auth/profile', oldAdmin.accessToken), 401, 'unauthorized');
  const demoted = await signIn(platform.admin.email, password);
  assert.equal(demoted.user.role, 'fan', 'the earlier ADMIN_EMAIL is still admin');
  assert.equal((await signIn(newEmail, password)).user.role, 'admin');
  const log = readFileSync(path.join(platform.outputDir, 'auth.log'), 'utf8');
  figures.demotedLogged = log.includes('admin role removed') && log.includes(platform.admin.email);
  assert.ok(figures.demotedLogged, 'the demotion is logged with the email');
});

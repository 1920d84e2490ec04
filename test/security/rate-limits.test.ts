/**
 * Floods are answered 429 rate_limited with Retry-After, in the public error shape:
 * login brute force (per email and client, per email, per IP), booking submissions
 * per fan, waiting-room joins per client IP. A stranger cannot lock an account: the
 * low login ceiling is per (email, client IP), the account-wide one spares clients
 * that have signed in to it before. A client cannot dodge a per-IP limit by writing
 * its own X-Forwarded-For; a balancer listed in the gateway's TRUSTED_PROXIES can
 * speak for its clients. Figures go to test-output/reliability/rate-limits.json.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';
import type { Booking } from '../support/api-types.js';
import { assertError } from '../support/assertions.js';
import { createConcert, mintFans, type Fan } from '../support/fans.js';
import { checkInvariants } from '../support/invariants.js';
import { ApiClient, DEV_ADMIN, registerFan, startTestPlatform, type ApiResponse, type TestPlatform } from '../support/test-platform.js';

const LOGIN_PER_CLIENT = 5;
const LOGIN_PER_EMAIL = 20;
const LOGIN_PER_IP = 30;
const SUBMIT_LIMIT = 5;
const SUBMIT_WINDOW_MS = 5000;
const JOIN_PER_IP = 12;
/** Above the three accounts the login tests register from 127.0.0.1. */
const REGISTER_PER_IP = 6;

let platform: TestPlatform;
let admin: Fan;
/** Every login this file sends from 127.0.0.1 counts against the per-IP budget: counted here. */
let loginsFromHere = 0;

const figures = {
  limits: {
    loginPerEmailAndClient: LOGIN_PER_CLIENT,
    loginPerEmail: LOGIN_PER_EMAIL,
    loginPerIp: LOGIN_PER_IP,
    bookingSubmitsPerFan: SUBMIT_LIMIT,
    bookingSubmitWindowMs: SUBMIT_WINDOW_MS,
    waitingRoomJoinsPerIp: JOIN_PER_IP,
  },
  login: { attempts: 0, refused: 0, correctPasswordRefusedWhileLimited: false, retryAfterSeconds: 0 },
  distributedLogin: {
    clients: 0,
    wrongAnswered401: 0,
    refused: 0,
    rightPasswordFromFreshClientRefused: false,
    ownerSignedIn: false,
    ownerDeletedAccount: false,
  },
  strangerVersusAdmin: { attackerAttempts: 0, attackerRefused: 0, adminSignedInFromFreshClient: false },
  loginSpoofedForwardedFor: { attempts: 0, accepted: 0, refused: 0 },
  bookingFlood: { concurrent: 0, admitted: 0, refused: 0, confirmed: 0, otherFanUnaffected: false },
  idempotentReplays: { replays: 0, charged: 0 },
  retryAfterHonoured: { retryAfterSeconds: 0, acceptedAfterWaitMs: 0 },
  joinFlood: { attempts: 0, accepted: 0, refused: 0, spoofedForwardedForRefused: 0 },
  behindTrustedBalancer: { clients: 0, acceptedEach: 0, refusedAfterLimit: 0 },
};

/** The 429 of a limit: status, public shape, a whole-seconds Retry-After no longer than the window. */
function assertRateLimited(res: ApiResponse, windowSeconds: number): number {
  assertError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After ${res.headers.get('retry-after')}`);
  return retryAfter;
}

const login = (email: string, password: string, headers?: Record<string, string>) => {
  loginsFromHere++;
  return platform.api.post('/api/v1/auth/login', { email, password }, undefined, headers);
};
const book = (fan: Fan, concertId: string, seatTypeId: string, headers: Record<string, string> = {}) =>
  platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, fan.token, headers);
const randomIp = () => `203.0.113.${Math.floor(Math.random() * 254) + 1}`;

before(async () => {
  platform = await startTestPlatform('security-rate-limits', {
    serviceEnv: {
      auth: {
        LOGIN_LIMIT_PER_CLIENT: String(LOGIN_PER_CLIENT),
        LOGIN_LIMIT_PER_EMAIL: String(LOGIN_PER_EMAIL),
        LOGIN_LIMIT_PER_IP: String(LOGIN_PER_IP),
        LOGIN_LIMIT_WINDOW_SECONDS: '300',
        REGISTER_LIMIT_PER_IP: String(REGISTER_PER_IP),
        REGISTER_LIMIT_WINDOW_SECONDS: '300',
      },
      booking: { BOOKING_SUBMIT_LIMIT: String(SUBMIT_LIMIT), BOOKING_SUBMIT_WINDOW_MS: String(SUBMIT_WINDOW_MS) },
      // Overrides the generous limit test-platform.ts gives every other test.
      'waiting-room': { WAITING_ROOM_JOIN_LIMIT_PER_IP: String(JOIN_PER_IP), WAITING_ROOM_JOIN_WINDOW_MS: '300000' },
    },
  });
  [admin] = mintFans(platform, 1, 'admin');
});

after(async () => {
  const dir = path.join(ROOT, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'rate-limits.json'), `${JSON.stringify(figures, null, 2)}\n`);
  const f = figures;
  console.log(
    `rate limits: login ${f.login.refused}/${f.login.attempts} refused 429 after ${LOGIN_PER_CLIENT} per (email, client) (right password too); ` +
      `distributed over ${f.distributedLogin.clients} addresses: ${f.distributedLogin.wrongAnswered401} answered, ${f.distributedLogin.refused} refused at ${LOGIN_PER_EMAIL} per email, ` +
      `owner signed in ${f.distributedLogin.ownerSignedIn} and deleted ${f.distributedLogin.ownerDeletedAccount}; ` +
      `admin after ${f.strangerVersusAdmin.attackerAttempts} stranger attempts (${f.strangerVersusAdmin.attackerRefused} refused) signed in ${f.strangerVersusAdmin.adminSignedInFromFreshClient}; ` +
      `spoofed X-Forwarded-For ${f.loginSpoofedForwardedFor.refused}/${f.loginSpoofedForwardedFor.attempts} refused at ${LOGIN_PER_IP} per IP; ` +
      `booking flood ${f.bookingFlood.admitted} admitted / ${f.bookingFlood.refused} refused of ${f.bookingFlood.concurrent} concurrent (limit ${SUBMIT_LIMIT}), ` +
      `${f.idempotentReplays.replays} idempotent replays charged ${f.idempotentReplays.charged}; ` +
      `joins ${f.joinFlood.accepted} accepted / ${f.joinFlood.refused} refused (limit ${JOIN_PER_IP} per IP, ${f.joinFlood.spoofedForwardedForRefused} spoofed refused); ` +
      `behind a trusted balancer ${f.behindTrustedBalancer.clients} clients × ${f.behindTrustedBalancer.acceptedEach} joins each`,
  );
  await platform?.stop();
});

describe('login brute force', () => {
  /** A second gateway that believes 127.0.0.1 (this test, playing the balancer): X-Forwarded-For names the client. */
  let behind: ApiClient;
  let stopBalancedGateway: () => Promise<void>;
  const loginAs = (client: string, email: string, password: string) =>
    behind.request('POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'X-Forwarded-For': client } });

  before(async () => {
    const gateway = await platform.startEdge({ TRUSTED_PROXIES: '127.0.0.1' }, 'edge-login-balancer');
    behind = new ApiClient(gateway.url);
    stopBalancedGateway = () => gateway.stop();
  });
  after(() => stopBalancedGateway?.());

  test(`after ${LOGIN_PER_CLIENT} attempts on one email from one client, every further attempt of that client → 429 with Retry-After, even with the right password`, async () => {
    const fan = await registerFan(platform.api, 'brute');
    const answers: ApiResponse[] = [];
    for (let i = 0; i < LOGIN_PER_CLIENT + 5; i++) answers.push(await login(fan.email, `wrong-password-${i}`));
    assert.deepEqual(
      answers.map((r) => r.status),
      [...Array<number>(LOGIN_PER_CLIENT).fill(401), ...Array<number>(5).fill(429)],
    );
    for (const r of answers.slice(LOGIN_PER_CLIENT)) figures.login.retryAfterSeconds = assertRateLimited(r, 300);
    const right = await login(fan.email, fan.password);
    assertRateLimited(right, 300);
    figures.login.correctPasswordRefusedWhileLimited = true;
    figures.login.attempts = answers.length + 1;
    figures.login.refused = answers.filter((r) => r.status === 429).length + 1;

    // Another email is not locked out by this one.
    const other = await registerFan(platform.api, 'bystander');
    assert.equal((await login(other.email, other.password)).status, 200);
  });

  test(`a distributed attack (one wrong password from each of many addresses) is refused 429 past ${LOGIN_PER_EMAIL} per email, the right password from a new address too; the owner, from the address they signed in from, still signs in and can delete the account`, async () => {
    const owner = await registerFan(platform.api, 'targeted');
    const ownerAddress = '198.51.100.7';
    assert.equal((await loginAs(ownerAddress, owner.email, owner.password)).status, 200, 'the owner signs in once from home');

    const statuses: number[] = [];
    const clients = LOGIN_PER_EMAIL + 10;
    for (let i = 0; i < clients; i++) {
      const res = await loginAs(`203.0.113.${i + 1}`, owner.email, `guess-${i}`);
      statuses.push(res.status);
      if (res.status === 429) assertRateLimited(res, 300);
    }
    assert.deepEqual(statuses, [...Array<number>(LOGIN_PER_EMAIL).fill(401), ...Array<number>(clients - LOGIN_PER_EMAIL).fill(429)]);
    // Past the ceiling a new address gets no verdict on any password: the guessing is slowed to the ceiling.
    assertRateLimited(await loginAs('203.0.113.250', owner.email, owner.password), 300);
    Object.assign(figures.distributedLogin, {
      clients: clients + 1,
      wrongAnswered401: LOGIN_PER_EMAIL,
      refused: clients - LOGIN_PER_EMAIL + 1,
      rightPasswordFromFreshClientRefused: true,
    });

    const signedIn = await loginAs(ownerAddress, owner.email, owner.password);
    assert.equal(signedIn.status, 200, `the owner is not locked out: ${signedIn.status} ${JSON.stringify(signedIn.body)}`);
    figures.distributedLogin.ownerSignedIn = true;
    const { accessToken } = signedIn.body as { accessToken: string };
    const deleted = await behind.request('DELETE', '/api/v1/auth/me', {
      token: accessToken,
      body: { password: owner.password },
      headers: { 'X-Forwarded-For': ownerAddress },
    });
    assert.equal(deleted.status, 204, `the owner can delete the account: ${deleted.status} ${JSON.stringify(deleted.body)}`);
    figures.distributedLogin.ownerDeletedAccount = true;
  });

  test('a stranger hammering the admin from one address is refused, and the admin signs in from an address it never used', async () => {
    const attempts = LOGIN_PER_EMAIL + 5;
    const statuses: number[] = [];
    for (let i = 0; i < attempts; i++) statuses.push((await loginAs('203.0.113.200', DEV_ADMIN.email, `guess-${i}`)).status);
    assert.deepEqual(statuses, [...Array<number>(LOGIN_PER_CLIENT).fill(401), ...Array<number>(attempts - LOGIN_PER_CLIENT).fill(429)]);
    const res = await loginAs('198.51.100.99', DEV_ADMIN.email, DEV_ADMIN.password);
    assert.equal(res.status, 200, `the admin is not locked out: ${res.status} ${JSON.stringify(res.body)}`);
    Object.assign(figures.strangerVersusAdmin, {
      attackerAttempts: attempts,
      attackerRefused: attempts - LOGIN_PER_CLIENT,
      adminSignedInFromFreshClient: true,
    });
  });

  test('per IP: a client that writes its own X-Forwarded-For on every attempt still runs out at the IP limit', async () => {
    // Every login of this file came from 127.0.0.1, whatever the header said: what is left of its budget.
    const budgetLeft = LOGIN_PER_IP - loginsFromHere;
    assert.ok(budgetLeft > 0);
    const statuses: number[] = [];
    for (let i = 0; i < budgetLeft + 5; i++) {
      const res = await login(`nobody-${i}@test.local`, 'wrong-password', { 'X-Forwarded-For': randomIp() });
      statuses.push(res.status);
      if (res.status === 429) assertRateLimited(res, 300);
    }
    assert.deepEqual(statuses, [...Array<number>(budgetLeft).fill(401), ...Array<number>(5).fill(429)]);
    Object.assign(figures.loginSpoofedForwardedFor, { attempts: statuses.length, accepted: budgetLeft, refused: 5 });
  });
});

describe('booking submissions per fan', () => {
  test(`a fan firing 40 submissions at once gets exactly ${SUBMIT_LIMIT} through and 429s for the rest; another fan is unaffected; still one seat`, async () => {
    const concert = await createConcert(platform, admin.token, { seatTypes: [{ name: 'Floor', capacity: 50 }] });
    const [flooder, bystander] = mintFans(platform, 2);
    const answers = await Promise.all(Array.from({ length: 40 }, () => book(flooder, concert.id, concert.seatTypes[0].id)));
    const limited = answers.filter((r) => r.status === 429);
    const through = answers.filter((r) => r.status !== 429);
    for (const r of limited) assertRateLimited(r, Math.ceil(SUBMIT_WINDOW_MS / 1000));
    for (const r of through) assert.ok([201, 202, 409].includes(r.status), `${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(through.length, SUBMIT_LIMIT, `admitted: ${through.map((r) => r.status).join(',')}`);

    const other = await book(bystander, concert.id, concert.seatTypes[0].id, { prefer: 'wait=20' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const report = await checkInvariants(platform.mongoUrl, platform.redisUrl, concert.id);
    assert.equal(report.confirmed.Floor, 2, 'one seat for the flooder, one for the bystander');
    Object.assign(figures.bookingFlood, {
      concurrent: answers.length,
      admitted: through.length,
      refused: limited.length,
      confirmed: report.confirmed.Floor,
      otherFanUnaffected: true,
    });
  });

  test('replays of an Idempotency-Key get the stored answer and are not counted; a submission refused 429 claims no key, and is accepted after Retry-After', async () => {
    const concert = await createConcert(platform, admin.token, { seatTypes: [{ name: 'Floor', capacity: 50 }] });
    const [fan] = mintFans(platform, 1);
    const seatTypeId = concert.seatTypes[0].id;
    const first = await book(fan, concert.id, seatTypeId, { 'idempotency-key': 'first-try', prefer: 'wait=20' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    for (let i = 0; i < 3 * SUBMIT_LIMIT; i++) {
      const replay = await book(fan, concert.id, seatTypeId, { 'idempotency-key': 'first-try', prefer: 'wait=20' });
      assert.equal(replay.status, 201, `replay ${i}: ${replay.status} ${JSON.stringify(replay.body)}`);
      assert.equal((replay.body as Booking).id, (first.body as Booking).id);
      figures.idempotentReplays.replays++;
    }
    // Only the first submission was counted: SUBMIT_LIMIT - 1 new ones still go through.
    for (let i = 1; i < SUBMIT_LIMIT; i++) assertError(await book(fan, concert.id, seatTypeId), 409, 'already_booked');
    const limited = await book(fan, concert.id, seatTypeId, { 'idempotency-key': 'refused-try' });
    const retryAfter = assertRateLimited(limited, Math.ceil(SUBMIT_WINDOW_MS / 1000));
    figures.idempotentReplays.charged = 1;
    figures.retryAfterHonoured.retryAfterSeconds = retryAfter;

    const waitedFrom = Date.now();
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    // After Retry-After the same key is admitted as a new submission (409: the fan holds a seat)...
    const retried = await book(fan, concert.id, seatTypeId, { 'idempotency-key': 'refused-try' });
    assertError(retried, 409, 'already_booked');
    figures.retryAfterHonoured.acceptedAfterWaitMs = Date.now() - waitedFrom;
    // ...and counted as one, which a replay would not be: the refused try had claimed no key.
    for (let i = 1; i < SUBMIT_LIMIT; i++) assertError(await book(fan, concert.id, seatTypeId), 409, 'already_booked');
    assertRateLimited(await book(fan, concert.id, seatTypeId), Math.ceil(SUBMIT_WINDOW_MS / 1000));
  });
});

describe('waiting-room joins per client IP', () => {
  test(`after ${JOIN_PER_IP} joins from one IP → 429 with Retry-After, whatever X-Forwarded-For the client writes`, async () => {
    const concert = await createConcert(platform, admin.token, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 1 },
    });
    const fans = mintFans(platform, JOIN_PER_IP + 5);
    const statuses: number[] = [];
    for (const fan of fans) {
      const res = await platform.api.post(`/api/v1/waiting-room/${concert.id}/join`, undefined, fan.token);
      statuses.push(res.status);
      if (res.status === 429) assertRateLimited(res, 300);
    }
    assert.deepEqual(statuses, [...Array<number>(JOIN_PER_IP).fill(200), ...Array<number>(5).fill(429)]);
    let spoofed = 0;
    for (const fan of mintFans(platform, 5)) {
      const res = await platform.api.post(`/api/v1/waiting-room/${concert.id}/join`, undefined, fan.token, { 'X-Forwarded-For': randomIp() });
      assertRateLimited(res, 300);
      spoofed++;
    }
    Object.assign(figures.joinFlood, { attempts: statuses.length + spoofed, accepted: JOIN_PER_IP, refused: 5 + spoofed, spoofedForwardedForRefused: spoofed });
  });

  test('behind a balancer listed in TRUSTED_PROXIES, each client it forwards has a budget of its own', async () => {
    const concert = await createConcert(platform, admin.token, {
      seatTypes: [{ name: 'Floor', capacity: 10 }],
      waitingRoom: { enabled: true, admitPerSecond: 1 },
    });
    // A second edge that believes 127.0.0.1 (this test, playing the balancer).
    const gateway = await platform.startEdge({ TRUSTED_PROXIES: '127.0.0.1' }, 'edge-behind-balancer');
    try {
      const behind = new ApiClient(gateway.url);
      const clients = ['198.51.100.10', '198.51.100.11', '198.51.100.12'];
      for (const client of clients) {
        const statuses: number[] = [];
        for (const fan of mintFans(platform, JOIN_PER_IP + 1)) {
          const res = await behind.request('POST', `/api/v1/waiting-room/${concert.id}/join`, {
            token: fan.token,
            headers: { 'X-Forwarded-For': `spoofed-by-client, ${client}` },
          });
          statuses.push(res.status);
          if (res.status === 429) assertRateLimited(res, 300);
        }
        assert.deepEqual(statuses, [...Array<number>(JOIN_PER_IP).fill(200), 429], `client ${client}`);
        figures.behindTrustedBalancer.refusedAfterLimit++;
      }
      Object.assign(figures.behindTrustedBalancer, { clients: clients.length, acceptedEach: JOIN_PER_IP });
    } finally {
      await gateway.stop();
    }
  });
});

describe('registration per client IP', () => {
  test(`after ${REGISTER_PER_IP} accounts from one IP → 429 with Retry-After and no account; another client still registers`, async () => {
    const gateway = await platform.startEdge({ TRUSTED_PROXIES: '127.0.0.1' }, 'edge-register-balancer');
    try {
      const behind = new ApiClient(gateway.url);
      const register = (client: string, email: string) =>
        behind.request('POST', '/api/v1/auth/register', {
          body: { email, password: 'correct-horse-battery', name: 'Throwaway' },
          headers: { 'X-Forwarded-For': client },
        });
      const emails = Array.from({ length: REGISTER_PER_IP + 2 }, (_, i) => `throwaway-${Date.now()}-${i}@test.local`);
      const statuses: number[] = [];
      for (const email of emails) {
        const res = await register('198.51.100.50', email);
        statuses.push(res.status);
        if (res.status === 429) assertRateLimited(res, 300);
      }
      assert.deepEqual(statuses, [...Array<number>(REGISTER_PER_IP).fill(201), 429, 429]);
      // Refused before anything was written (and before bcrypt ran): the refused email is still free, from another client.
      const neighbour = await register('198.51.100.51', emails[REGISTER_PER_IP]);
      assert.equal(neighbour.status, 201, JSON.stringify(neighbour.body));
    } finally {
      await gateway.stop();
    }
  });
});

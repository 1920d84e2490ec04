/**
 * Bad tokens are refused on every service they are sent to, in the public error
 * shape: forged, expired, not yet valid, of a deleted or logged-out user, of a
 * refresh-token family someone replayed; and admission tokens that are not this
 * fan's for this concert. Figures go to test-output/reliability/tokens.json.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { io as connect } from 'socket.io-client';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../../lib/auth-middleware.js';
import { ROOT } from '../../scripts/stack/processes.js';
import type { Booking, LineStatus, Session, TokenPair } from '../support/api-types.js';
import { assertError } from '../support/assertions.js';
import { createConcert, mintFans } from '../support/fans.js';
import { ApiClient, registerFan, startTestPlatform, type ApiResponse, type TestPlatform } from '../support/test-platform.js';

let platform: TestPlatform;
let privateKey: string;
let publicKey: string;
let admissionSecret: string;
let concert: { id: string; seatTypes: Array<{ id: string }> };
let room: { id: string; seatTypes: Array<{ id: string }> };
let otherRoom: { id: string; seatTypes: Array<{ id: string }> };

/** What every test adds up; written as JSON at the end. */
const figures = {
  accessTokenCases: 0,
  endpoints: 0,
  requestsRefused: 0,
  requestsAccepted: 0,
  handshakesRefused: 0,
  admissionCases: 0,
  admissionRefused: 0,
  admissionAccepted: 0,
  /** From Auth's answer until every endpoint refused the token, and how many requests still got through meanwhile. */
  revocationPropagation: {} as Record<string, { ms: number; acceptedAfterAnswer: number }>,
  loginAfterLogoutMs: 0,
  lateProcessRefusedDeletedUser: false,
  socketClosedOnDeletionMs: 0,
  refusals: [] as string[],
};

/** One authenticated call per service, and the Socket.IO handshake. */
interface Endpoint {
  service: string;
  name: string;
  call(token: string | undefined): Promise<ApiResponse>;
}
let endpoints: Endpoint[];

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A key pair that is not the platform's: what a forger signs with. */
const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const signAccess = (claims: object, opts: jwt.SignOptions = {}) =>
  jwt.sign(claims, privateKey, { algorithm: 'RS256', issuer: ACCESS_TOKEN_ISSUER, audience: ACCESS_TOKEN_AUDIENCE, ...opts });

/** Opens a Socket.IO connection through the gateway: "connected", or the refusal's message. */
function handshake(token: string | undefined): Promise<{ outcome: string; socket?: ReturnType<typeof connect> }> {
  const socket = connect(platform.gatewayUrl, {
    path: '/socket.io',
    auth: token ? { token } : {},
    transports: ['websocket'],
    reconnection: false,
    timeout: 10_000,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ outcome: 'connected', socket }));
    socket.once('connect_error', (err) => {
      socket.close();
      resolve({ outcome: `refused: ${err.message}` });
    });
  });
}

/** Every endpoint and the handshake refuse the token with 401 `code` (unauthorized unless said). */
async function assertRefusedEverywhere(label: string, token: string | undefined, code: 'unauthorized' | 'token_expired' = 'unauthorized') {
  for (const endpoint of endpoints) {
    const res = await endpoint.call(token);
    assert.equal(res.status, 401, `${label}: ${endpoint.name} answered ${res.status} ${JSON.stringify(res.body)}`);
    assertError(res, 401, code);
    figures.requestsRefused++;
  }
  const { outcome } = await handshake(token);
  assert.equal(outcome, `refused: ${code}`, `${label}: the Socket.IO handshake`);
  figures.handshakesRefused++;
  figures.refusals.push(label);
}

/** The control: every endpoint lets the token through (whatever it then answers), and so does the handshake. */
async function assertAcceptedEverywhere(label: string, token: string) {
  for (const endpoint of endpoints) {
    const res = await endpoint.call(token);
    assert.ok(res.status !== 401 && res.status < 500, `${label}: ${endpoint.name} answered ${res.status} ${JSON.stringify(res.body)}`);
    figures.requestsAccepted++;
  }
  const { outcome, socket } = await handshake(token);
  assert.equal(outcome, 'connected', `${label}: the Socket.IO handshake`);
  socket?.close();
}

/** Polls until every endpoint refuses the token: how long that took after `since`, and how many requests still passed. */
async function refusedEverywhereWithin(token: string, since: number, timeoutMs = 2000): Promise<{ ms: number; acceptedAfterAnswer: number }> {
  const pending = new Set(endpoints);
  let acceptedAfterAnswer = 0;
  for (;;) {
    await Promise.all(
      [...pending].map(async (endpoint) => {
        if ((await endpoint.call(token)).status === 401) pending.delete(endpoint);
        else acceptedAfterAnswer++;
      }),
    );
    const elapsed = Date.now() - since;
    if (pending.size === 0) return { ms: elapsed, acceptedAfterAnswer };
    if (elapsed > timeoutMs) assert.fail(`still accepted after ${elapsed} ms by ${[...pending].map((e) => e.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  platform = await startTestPlatform('security-tokens');
  const auth = platform.services.get('auth')!.env;
  privateKey = auth.JWT_PRIVATE_KEY!;
  publicKey = auth.JWT_PUBLIC_KEY!;
  admissionSecret = platform.services.get('booking')!.env.ADMISSION_TOKEN_SECRET!;
  // An admin token minted like mintFans does: the platform's own key, no login (the login limit stays untouched).
  const [admin] = mintFans(platform, 1, 'admin');
  concert = await createConcert(platform, admin.token, { seatTypes: [{ name: 'Floor', capacity: 100 }] });
  room = await createConcert(platform, admin.token, { seatTypes: [{ name: 'Floor', capacity: 100 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });
  otherRoom = await createConcert(platform, admin.token, { seatTypes: [{ name: 'Floor', capacity: 100 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });

  const { api } = platform;
  const startsAt = new Date(Date.now() + 24 * 3600_000).toISOString();
  endpoints = [
    { service: 'auth', name: 'GET /api/v1/auth/profile', call: (t) => api.get('/api/v1/auth/profile', t) },
    { service: 'concert', name: 'POST /api/v1/concerts', call: (t) => api.post('/api/v1/concerts', { name: 'Forged', venue: 'Nowhere', startsAt }, t) },
    { service: 'booking', name: 'GET /api/v1/bookings/my-bookings', call: (t) => api.get('/api/v1/bookings/my-bookings', t) },
    {
      service: 'booking',
      name: 'POST /api/v1/bookings',
      call: (t) => api.post('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, t),
    },
    { service: 'notification', name: 'GET /api/v1/notifications', call: (t) => api.get('/api/v1/notifications', t) },
    { service: 'waiting-room', name: 'POST /api/v1/waiting-room/:id/join', call: (t) => api.post(`/api/v1/waiting-room/${room.id}/join`, undefined, t) },
    { service: 'waiting-room', name: 'GET /api/v1/waiting-room/:id/status', call: (t) => api.get(`/api/v1/waiting-room/${room.id}/status`, t) },
  ];
  figures.endpoints = endpoints.length + 1;
});

after(async () => {
  const dir = path.join(ROOT, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tokens.json'), `${JSON.stringify(figures, null, 2)}\n`);
  const propagation = Object.entries(figures.revocationPropagation)
    .map(([k, v]) => `${k} ${v.ms} ms (${v.acceptedAfterAnswer} requests got through after the answer)`)
    .join(', ');
  console.log(
    `tokens: ${figures.accessTokenCases} access-token cases × ${figures.endpoints} endpoints (incl. Socket.IO) → ${figures.requestsRefused} requests and ${figures.handshakesRefused} handshakes refused 401, ` +
      `${figures.requestsAccepted} control requests accepted; ${figures.admissionCases} admission cases (${figures.admissionRefused} refused 403, ${figures.admissionAccepted} accepted); ` +
      `revocation reached every service in ${propagation}`,
  );
  await platform?.stop();
});

describe('forged and stale access tokens are refused by every service', () => {
  test('a tampered, alg:none, algorithm-confused, expired, not-yet-valid, wrongly addressed or missing token → 401 everywhere; the genuine one passes', async () => {
    const fan = await registerFan(platform.api, 'forger');
    const [header, payload, signature] = fan.accessToken.split('.');
    // The claims Auth puts in an access token (lib/auth-middleware.ts reads the same).
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as jwt.JwtPayload & { role: string; email: string };
    const { sub, role, email } = claims;
    const asAdmin = b64({ ...claims, role: 'admin' });
    const signatureBytes = Buffer.from(signature, 'base64url');
    signatureBytes[signatureBytes.length >> 1] ^= 0x01;
    const flipped = signatureBytes.toString('base64url');
    const cases: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['garbage', 'not.a.token'],
      ['tampered signature', `${header}.${payload}.${flipped}`],
      ['tampered payload (role: admin) under the genuine signature', `${header}.${asAdmin}.${signature}`],
      ['alg: none', `${b64({ alg: 'none', typ: 'JWT' })}.${asAdmin}.`],
      // The classic algorithm-confusion attack: HS256 keyed with the (public) RSA key.
      ['HS256 signed with the RSA public key', jwt.sign({ ...claims, role: 'admin' }, publicKey, { algorithm: 'HS256' })],
      // Expired and not ours in some other respect: no hint to refresh.
      [
        'expired and another audience (RS256, our key)',
        jwt.sign({ role, email, iat: nowSeconds() - 120, exp: nowSeconds() - 60 }, privateKey, {
          algorithm: 'RS256',
          issuer: ACCESS_TOKEN_ISSUER,
          audience: 'someone-else',
          subject: sub,
        }),
      ],
      [
        'expired under a foreign key',
        jwt.sign({ role, email, iat: nowSeconds() - 120, exp: nowSeconds() - 60 }, foreignKey, {
          algorithm: 'RS256',
          issuer: ACCESS_TOKEN_ISSUER,
          audience: ACCESS_TOKEN_AUDIENCE,
          subject: sub,
        }),
      ],
      ['not yet valid: nbf in the future (RS256, our key)', signAccess({ role, email, nbf: nowSeconds() + 600 }, { subject: sub, expiresIn: 3600 })],
      [
        'another audience (RS256, our key)',
        jwt.sign({ role, email }, privateKey, { algorithm: 'RS256', issuer: ACCESS_TOKEN_ISSUER, audience: 'someone-else', subject: sub, expiresIn: 600 }),
      ],
      [
        'an admission token as an access token',
        jwt.sign({ cid: room.id }, admissionSecret, {
          algorithm: 'HS256',
          subject: sub,
          issuer: 'onsale-waiting-room',
          audience: 'onsale-booking',
          expiresIn: 600,
        }),
      ],
    ];
    await assertAcceptedEverywhere('the genuine token', fan.accessToken);
    for (const [name, token] of cases) {
      await assertRefusedEverywhere(name, token);
      figures.accessTokenCases++;
    }
    // Ours in every respect but its lifetime: its own code, so the app refreshes instead of signing in again.
    const expired = signAccess({ role, email, iat: nowSeconds() - 120, exp: nowSeconds() - 60 }, { subject: sub });
    await assertRefusedEverywhere('expired (RS256, our key)', expired, 'token_expired');
    figures.accessTokenCases++;
  });
});

describe('revoked users: their access tokens stop working at once in every service', () => {
  test('a deleted account: every token refused everywhere within moments, open sockets closed, late processes know too; its bookings stay in the ledger', async () => {
    const fan = await registerFan(platform.api, 'leaver');
    const booked = await platform.api.post<Booking>('/api/v1/bookings', { concertId: concert.id, seatTypeId: concert.seatTypes[0].id }, fan.accessToken, {
      prefer: 'wait=20',
    });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    await assertAcceptedEverywhere('before deletion', fan.accessToken);
    const open = await handshake(fan.accessToken);
    assert.equal(open.outcome, 'connected');
    const closed = new Promise<number>((resolve) => open.socket!.once('disconnect', () => resolve(Date.now())));

    assertError(
      await platform.api.request('DELETE', '/api/v1/auth/me', { token: fan.accessToken, body: { password: 'wrong-password' } }),
      401,
      'invalid_credentials',
    );
    await assertAcceptedEverywhere('after a refused deletion', fan.accessToken);

    const started = Date.now();
    const deleted = await platform.api.request('DELETE', '/api/v1/auth/me', { token: fan.accessToken, body: { password: fan.password } });
    const answered = Date.now();
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    figures.revocationPropagation.deletion = await refusedEverywhereWithin(fan.accessToken, answered);
    figures.socketClosedOnDeletionMs = Math.max(0, (await closed) - started);
    await assertRefusedEverywhere('a deleted account', fan.accessToken);
    figures.accessTokenCases++;

    // A login that raced the deletion would sign a token after it: refused too.
    const raced = signAccess({ role: 'fan', email: fan.email }, { subject: fan.id, expiresIn: 600 });
    await assertRefusedEverywhere('a token of the deleted account signed after the deletion', raced);
    figures.accessTokenCases++;
    assertError(await platform.api.post('/api/v1/auth/login', { email: fan.email, password: fan.password }), 401, 'invalid_credentials');
    assertError(await platform.api.post('/api/v1/auth/refresh', { refreshToken: fan.refreshToken }), 401, 'invalid_refresh_token');

    // A process started after the deletion loads the list at start.
    const late = await platform.startService('concert', undefined, 'concert-started-late');
    try {
      const lateApi = new ApiClient(`http://127.0.0.1:${late.env.PORT}`);
      assertError(
        await lateApi.post('/api/v1/concerts', { name: 'x', venue: 'y', startsAt: new Date(Date.now() + 3600_000).toISOString() }, fan.accessToken),
        401,
        'unauthorized',
      );
      figures.lateProcessRefusedDeletedUser = true;
    } finally {
      await late.stop();
    }

    // The booking is the ledger: still there, still confirmed, readable by an admin.
    const [admin] = mintFans(platform, 1, 'admin');
    const record = await platform.api.get<Booking>(`/api/v1/bookings/${booked.body.id}`, admin.token);
    assert.equal(record.status, 200, JSON.stringify(record.body));
    assert.equal(record.body.status, 'confirmed');
    assert.equal(record.body.userId, fan.id);
  });

  test('log out everywhere: every access token issued so far stops working; a login right after works', async () => {
    const fan = await registerFan(platform.api, 'leaving-everywhere');
    const second = await platform.api.post<Session>('/api/v1/auth/login', { email: fan.email, password: fan.password });
    assert.equal(second.status, 200);
    await assertAcceptedEverywhere('the other session before logout', second.body.accessToken);

    const logout = await platform.api.post('/api/v1/auth/logout', undefined, fan.accessToken);
    assert.equal(logout.status, 204);
    figures.revocationPropagation.logout = await refusedEverywhereWithin(second.body.accessToken, Date.now());
    await assertRefusedEverywhere('the session that logged out', fan.accessToken);
    await assertRefusedEverywhere('another session of the user that logged out', second.body.accessToken);
    figures.accessTokenCases += 2;

    // Tokens have whole-second iat: Auth waits out the revocation's second instead of minting a token born revoked.
    const started = Date.now();
    const again = await platform.api.post<Session>('/api/v1/auth/login', { email: fan.email, password: fan.password });
    figures.loginAfterLogoutMs = Date.now() - started;
    assert.equal(again.status, 200);
    await assertAcceptedEverywhere('a login right after logging out', again.body.accessToken);
  });

  test('a replayed refresh token revokes its whole family (the later tokens too) and the access tokens; another login survives', async () => {
    const fan = await registerFan(platform.api, 'robbed');
    const other = await platform.api.post<Session>('/api/v1/auth/login', { email: fan.email, password: fan.password });
    assert.equal(other.status, 200);
    const family = [{ refreshToken: fan.refreshToken, accessToken: fan.accessToken }];
    for (let i = 0; i < 3; i++) {
      const next = await platform.api.post<TokenPair>('/api/v1/auth/refresh', { refreshToken: family.at(-1)!.refreshToken });
      assert.equal(next.status, 200, JSON.stringify(next.body));
      family.push(next.body);
    }
    await assertAcceptedEverywhere('the family’s latest access token', family.at(-1)!.accessToken);

    // A thief replays the second token of the family (already spent).
    assertError(await platform.api.post('/api/v1/auth/refresh', { refreshToken: family[1].refreshToken }), 401, 'invalid_refresh_token');
    figures.revocationPropagation.refreshReuse = await refusedEverywhereWithin(family.at(-1)!.accessToken, Date.now());
    for (const [i, member] of family.entries()) {
      assertError(await platform.api.post('/api/v1/auth/refresh', { refreshToken: member.refreshToken }), 401, 'invalid_refresh_token');
      await assertRefusedEverywhere(`access token ${i} of a replayed family`, member.accessToken);
      figures.accessTokenCases++;
    }

    // The other login's family was not replayed: it refreshes, and its new access token works everywhere.
    const survivor = await platform.api.post<TokenPair>('/api/v1/auth/refresh', { refreshToken: other.body.refreshToken });
    assert.equal(survivor.status, 200, JSON.stringify(survivor.body));
    await assertAcceptedEverywhere('the other login after a refresh', survivor.body.accessToken);
  });
});

describe('admission tokens are bound to one fan and one concert', () => {
  test('another concert’s, another fan’s, an expired, a tampered or a foreign-signed admission token → 403 admission_required; the right one books', async () => {
    const [fan, other] = mintFans(platform, 2);
    const admissionOf = async (who: typeof fan, concertId: string): Promise<string> => {
      const joined = await platform.api.post(`/api/v1/waiting-room/${concertId}/join`, undefined, who.token);
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      const until = Date.now() + 30_000;
      for (;;) {
        const res = await platform.api.get<LineStatus | undefined>(`/api/v1/waiting-room/${concertId}/status`, who.token);
        if (res.body?.admissionToken) return res.body.admissionToken;
        if (Date.now() > until) assert.fail(`fan not admitted to ${concertId}: ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const fanToken = await admissionOf(fan, room.id);
    const otherToken = await admissionOf(other, otherRoom.id);
    const claims = jwt.decode(fanToken) as jwt.JwtPayload;
    const [header, , signature] = fanToken.split('.');
    const bookRoom = (who: typeof fan, admission: string | undefined, concertId = room.id, seatTypeId = room.seatTypes[0].id) =>
      platform.api.post('/api/v1/bookings', { concertId, seatTypeId }, who.token, {
        prefer: 'wait=20',
        ...(admission ? { 'x-admission-token': admission } : {}),
      });
    const sign = (payload: object, secret = admissionSecret) =>
      jwt.sign(payload, secret, { algorithm: 'HS256', issuer: 'onsale-waiting-room', audience: 'onsale-booking' });

    const cases: Array<[string, () => Promise<ApiResponse>]> = [
      ['none', () => bookRoom(fan, undefined)],
      ['for another concert (the fan’s own, from another room)', () => bookRoom(other, otherToken)],
      ['of another fan', () => bookRoom(other, fanToken)],
      ['for another concert, used at this one', () => bookRoom(fan, fanToken, otherRoom.id, otherRoom.seatTypes[0].id)],
      ['expired', () => bookRoom(fan, sign({ sub: fan.id, cid: room.id, iat: nowSeconds() - 600, exp: nowSeconds() - 60 }))],
      ['tampered (another concert in the claims, the genuine signature)', () => bookRoom(other, `${header}.${b64({ ...claims, sub: other.id })}.${signature}`)],
      ['signed with another secret', () => bookRoom(fan, sign({ sub: fan.id, cid: room.id, exp: nowSeconds() + 600 }, 'x'.repeat(48)))],
      ['alg: none', () => bookRoom(fan, `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims })}.`)],
    ];
    for (const [name, attempt] of cases) {
      const res = await attempt();
      assert.equal(res.status, 403, `admission token ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      assertError(res, 403, 'admission_required');
      figures.admissionCases++;
      figures.admissionRefused++;
    }

    const booked = await bookRoom(fan, fanToken);
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    const otherBooked = await bookRoom(other, otherToken, otherRoom.id, otherRoom.seatTypes[0].id);
    assert.equal(otherBooked.status, 201, JSON.stringify(otherBooked.body));
    figures.admissionAccepted += 2;
    figures.admissionCases += 2;
  });
});

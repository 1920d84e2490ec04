import jwt from 'jsonwebtoken';
import { ADMISSION_TOKEN_AUDIENCE, ADMISSION_TOKEN_ISSUER, signAdmissionToken } from '../../../lib/admission-token.js';
import type { WaitingRoomSettings } from '../../../services/concert/concert.schemas.js';
import type { BadCase, RequestShape } from './bad-inputs.js';
import type { Account, World } from './world.js';

/** Who calls: nobody, the fan who owns the resources, another fan, the admin. */
export type Caller = 'anonymous' | 'fan' | 'otherFan' | 'admin';
export const CALLERS: Caller[] = ['anonymous', 'fan', 'otherFan', 'admin'];

/** A request a caller could validly send; the suites fill the path template and add the caller's token. */
export interface ValidRequest {
  params?: Record<string, string>;
  /** Raw query string without `?`. */
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Replaces the caller's own token (a fresh session for calls that end it); null sends none. */
  token?: string | null;
}

/** The body of a valid POST /api/v1/concerts, as the row below sends it (every optional part present). */
interface NewConcertBody {
  name: string;
  venue: string;
  startsAt: string;
  seatTypes: Array<{ name: string; description?: string; price: number; capacity: number }>;
  waitingRoom: WaitingRoomSettings;
  waitingList: { offerTtlSeconds?: number };
}

export interface AccessRow {
  /** The status each caller gets for a valid request: 2xx allowed, 401/403/404 denied. */
  expect: Record<Caller, number>;
  /** The error code of each denial, when it is not the usual one for its status (401 unauthorized, 403 forbidden, 404 not_found). */
  deniedCode?: Partial<Record<Caller, string>>;
  /** Why the row looks the way it does, when it is not obvious. */
  note?: string;
  /** A valid request as `caller` would send it; creates fresh resources when the call consumes them. */
  request(world: World, caller: Caller): Promise<ValidRequest> | ValidRequest;
  /** Bad inputs this endpoint needs beyond what its OpenAPI description implies. */
  extraBadInputs?(world: World): BadCase[];
  /**
   * What an id that exists nowhere answers in each path parameter, when not 404.
   * Only for pages that are static shells (the page's own API calls answer 404).
   */
  nonexistentIdStatus?: number;
  /** Runs after every other row, in this order: the call ends sessions (logout revokes every token the admin holds). */
  last?: number;
}

const ALL_OK = (status: number): Record<Caller, number> => ({ anonymous: status, fan: status, otherFan: status, admin: status });
const USERS_ONLY = (status: number): Record<Caller, number> => ({ anonymous: 401, fan: status, otherFan: status, admin: status });
const ADMIN_ONLY = (status: number): Record<Caller, number> => ({ anonymous: 401, fan: 403, otherFan: 403, admin: status });
/** The fan owns the resource; another fan is told it does not exist; the admin sees everything. */
const OWNER_OR_ADMIN = (status: number): Record<Caller, number> => ({ anonymous: 401, fan: status, otherFan: 404, admin: status });

const accountOf = (world: World, caller: Caller): Account | undefined =>
  caller === 'anonymous' ? undefined : caller === 'fan' ? world.fan : caller === 'otherFan' ? world.otherFan : world.admin;

let seatTypeCounter = 0;

/**
 * THE table: every public endpoint (the OpenAPI operations the gateway serves,
 * and the gateway's own routes) with what each caller gets. The authorisation
 * matrix checks every cell; the bad-input suite sends its bad inputs with the
 * token of a caller allowed here, so validation is reached, not a 401. Both
 * fail when an endpoint is served that this table does not list.
 */
export const ACCESS_TABLE: Record<string, AccessRow> = {
  'POST /api/v1/auth/register': {
    expect: ALL_OK(201),
    request: () => ({ body: { email: `new-${Date.now()}-${++seatTypeCounter}@security.test`, password: 'correct-horse-battery', name: 'New Fan' } }),
  },
  'POST /api/v1/auth/login': {
    expect: ALL_OK(200),
    note: 'the credentials are the body; anonymous signs in as the fan',
    request: (world, caller) => {
      const account = accountOf(world, caller) ?? world.fan;
      return { body: { email: account.email, password: account.password } };
    },
  },
  'POST /api/v1/auth/refresh': {
    expect: ALL_OK(200),
    note: 'the refresh token is the credential; each call spends a fresh one',
    request: async (world, caller) => {
      const account = caller === 'admin' ? await world.freshAdminSession() : await world.freshAccount(caller);
      return { body: { refreshToken: account.refreshToken } };
    },
    extraBadInputs: () =>
      ['\u0000', '{"$ne":null}', 'a.b.c.d', `${'a'.repeat(24)}.${'b'.repeat(16)}.${'c'.repeat(16)}.${'d'.repeat(43)}`].map((refreshToken) => ({
        category: 'credentials',
        name: `refresh token ${JSON.stringify(refreshToken).slice(0, 40)}`,
        mutate: (req) => ({ ...req, body: { refreshToken } }),
        expect: { status: 401, code: 'invalid_refresh_token' },
      })),
  },
  'POST /api/v1/auth/logout': {
    expect: USERS_ONLY(204),
    note: 'ends every session of the caller, so each call uses a session of its own',
    last: 2,
    request: async (world, caller) => {
      if (caller === 'anonymous') return {};
      const account = caller === 'admin' ? await world.freshAdminSession() : await world.freshAccount(caller);
      return { token: account.token };
    },
  },
  'POST /api/v1/auth/change-password': {
    expect: { anonymous: 401, fan: 204, otherFan: 204, admin: 403 },
    note: "ends every session of the caller, so fans use a fresh account each; the admin's password is ADMIN_PASSWORD",
    request: async (world, caller) => {
      const body = (account: Account) => ({ currentPassword: account.password, newPassword: 'a-new-correct-horse' });
      if (caller === 'anonymous') return { body: body(world.fan) };
      if (caller === 'admin') return { body: body(world.admin) };
      const account = await world.freshAccount(caller);
      return { token: account.token, body: body(account) };
    },
  },
  'GET /api/v1/auth/profile': { expect: USERS_ONLY(200), request: () => ({}) },
  'DELETE /api/v1/auth/me': {
    expect: { anonymous: 401, fan: 204, otherFan: 204, admin: 403 },
    note: 'deletes the caller (a fresh account each time); the configured admin cannot be deleted',
    last: 1,
    request: async (world, caller) => {
      if (caller === 'anonymous') return { body: { password: world.fan.password } };
      const account = caller === 'admin' ? await world.freshAdminSession() : await world.freshAccount(caller);
      return { token: account.token, body: { password: account.password } };
    },
  },
  'GET /api/v1/concerts': { expect: ALL_OK(200), request: () => ({ query: 'limit=5&offset=0&when=upcoming' }) },
  'POST /api/v1/concerts': {
    expect: ADMIN_ONLY(201),
    request: () => ({
      body: {
        name: 'Matrix Night',
        venue: 'Test Hall',
        startsAt: new Date(Date.now() + 30 * 24 * 3600_000).toISOString(),
        // Every optional part present, so the bad-input suite reaches the nested fields too.
        seatTypes: [{ name: 'Floor', description: 'Standing', price: 25.5, capacity: 10 }],
        waitingRoom: {
          enabled: true,
          opensAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
          admitPerSecond: 5,
          maxActive: 100,
          claimWindowSeconds: 300,
          graceSeconds: 3600,
        },
        waitingList: { offerTtlSeconds: 300 },
      } satisfies NewConcertBody,
    }),
    extraBadInputs: () => {
      const concertCase = (name: string, change: (body: NewConcertBody) => void, detailsPath: string): BadCase => ({
        category: 'out-of-range',
        name,
        mutate: (shape) => {
          const body = JSON.parse(JSON.stringify(shape.body)) as NewConcertBody;
          change(body);
          return { ...shape, body };
        },
        expect: { status: 400, code: 'validation_failed', detailsPath },
      });
      return [
        concertCase(
          'waiting room opening after the start',
          (b) => (b.waitingRoom.opensAt = new Date(Date.parse(b.startsAt) + 3600_000).toISOString()),
          'body.waitingRoom.opensAt',
        ),
        concertCase('a waiting-list offer shorter than 30 s', (b) => (b.waitingList.offerTtlSeconds = 5), 'body.waitingList.offerTtlSeconds'),
        concertCase('a waiting-list offer longer than a day', (b) => (b.waitingList.offerTtlSeconds = 86_401), 'body.waitingList.offerTtlSeconds'),
        concertCase('starting in the past', (b) => (b.startsAt = new Date(Date.now() - 60_000).toISOString()), 'body.startsAt'),
        concertCase('a date that does not exist', (b) => (b.startsAt = '2031-02-30T20:00:00Z'), 'body.startsAt'),
        concertCase(
          'two seat types of one name',
          (b) => b.seatTypes.push({ ...b.seatTypes[0], name: b.seatTypes[0].name.toUpperCase() }),
          'body.seatTypes.1.name',
        ),
      ];
    },
  },
  'GET /api/v1/concerts/{id}': { expect: ALL_OK(200), request: (world) => ({ params: { id: world.concert.id } }) },
  'GET /api/v1/concerts/{id}/seat-types': { expect: ALL_OK(200), request: (world) => ({ params: { id: world.concert.id } }) },
  'POST /api/v1/concerts/{id}/seat-types': {
    expect: ADMIN_ONLY(201),
    request: (world) => ({
      params: { id: world.concert.id },
      body: { name: `Balcony ${++seatTypeCounter}`, description: 'Seated', price: 40, capacity: 20 },
    }),
  },
  'GET /api/v1/concerts/{id}/seat-types/{seatTypeId}': {
    expect: ALL_OK(200),
    request: (world) => ({ params: { id: world.concert.id, seatTypeId: world.concert.seatTypeId } }),
  },
  // The operator's side (CONTRACT.md): admin only. Changes that end a sale act on a fresh concert each.
  'PATCH /api/v1/concerts/{id}': {
    expect: ADMIN_ONLY(200),
    note: 'a fresh concert each: nothing sold, so the start may move too',
    request: async (world) => ({
      params: { id: (await world.freshConcert()).id },
      body: {
        name: 'Matrix Night (moved)',
        venue: 'Other Hall',
        description: 'Doors at 18:30',
        startsAt: new Date(Date.now() + 14 * 24 * 3600_000).toISOString(),
        waitingList: { offerTtlSeconds: 300 },
      },
    }),
    extraBadInputs: () => [
      {
        category: 'out-of-range',
        name: 'an offer time below the minimum',
        mutate: (shape) => ({ ...shape, body: { waitingList: { offerTtlSeconds: 1 } } }),
        expect: { status: 400, code: 'validation_failed', detailsPath: 'body.waitingList.offerTtlSeconds' },
      },
      {
        category: 'out-of-range',
        name: 'a waiting-list change without the offer time',
        mutate: (shape) => ({ ...shape, body: { waitingList: {} } }),
        expect: { status: 400, code: 'validation_failed', detailsPath: 'body.waitingList.offerTtlSeconds' },
      },
      {
        category: 'out-of-range',
        name: 'moving the start into the past',
        mutate: (shape) => ({ ...shape, body: { startsAt: new Date(Date.now() - 60_000).toISOString() } }),
        expect: { status: 400, code: 'validation_failed', detailsPath: 'body.startsAt' },
      },
      {
        category: 'out-of-range',
        name: 'an empty change',
        mutate: (shape) => ({ ...shape, body: {} }),
        expect: { status: 400, code: 'validation_failed' },
      },
    ],
  },
  'POST /api/v1/concerts/{id}/seat-types/{seatTypeId}/capacity': {
    expect: ADMIN_ONLY(200),
    request: (world) => ({ params: { id: world.concert.id, seatTypeId: world.concert.seatTypeId }, body: { add: 1 } }),
    extraBadInputs: () =>
      [0, -1, 1.5, 100_001].map((add) => ({
        category: 'out-of-range',
        name: `add ${add}`,
        mutate: (shape) => ({ ...shape, body: { add } }),
        expect: { status: 400, code: 'validation_failed', detailsPath: 'body.add' },
      })),
  },
  'POST /api/v1/concerts/{id}/seat-types/{seatTypeId}/close': {
    expect: ADMIN_ONLY(200),
    request: async (world) => {
      const concert = await world.freshConcert();
      return { params: { id: concert.id, seatTypeId: concert.seatTypeId } };
    },
  },
  'POST /api/v1/concerts/{id}/close-sales': {
    expect: ADMIN_ONLY(200),
    request: async (world) => ({ params: { id: (await world.freshConcert()).id } }),
  },
  'GET /api/v1/concerts/{id}/stats': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { id: world.concert.id } }) },
  'GET /api/v1/concerts/{id}/audit': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { id: world.concert.id }, query: 'limit=20' }) },
  'GET /api/v1/bookings/by-concert/{concertId}': {
    expect: ADMIN_ONLY(200),
    request: (world) => ({ params: { concertId: world.concert.id }, query: `status=confirmed&seatTypeId=${world.concert.seatTypeId}&limit=10&format=json` }),
  },
  'POST /api/v1/bookings': {
    expect: USERS_ONLY(202),
    note: 'any signed-in user may book (admins too); each caller submits once for a concert nobody else booked',
    request: (world) => ({ body: { concertId: world.openConcert.id, seatTypeId: world.openConcert.seatTypeId } }),
    extraBadInputs: (world) => {
      // The waiting-room concert needs the fan's own admission token: anything else is refused before the queue.
      const secret = world.platform.services.get('booking')?.env.ADMISSION_TOKEN_SECRET;
      if (!secret) throw new Error('the booking service has no ADMISSION_TOKEN_SECRET');
      const now = Date.now();
      const admission = { fanId: world.fan.id, concertId: world.roomConcert.id, admittedAtMs: now, expiresAtMs: now + 300_000 };
      const claims = { sub: world.fan.id, cid: world.roomConcert.id, iss: ADMISSION_TOKEN_ISSUER, aud: ADMISSION_TOKEN_AUDIENCE };
      const forged = [
        ['garbage', 'not-a-token'],
        ['operator', '{"$ne":null}'],
        ['huge', 'a'.repeat(8000)],
        ['alg none', jwt.sign(claims, '', { algorithm: 'none' })],
        ['wrong secret', jwt.sign(claims, 'x'.repeat(40), { algorithm: 'HS256' })],
        ['issued to another fan', signAdmissionToken(secret, { ...admission, fanId: world.otherFan.id })],
        ['for another concert', signAdmissionToken(secret, { ...admission, concertId: world.joinConcert.id })],
        ['expired', signAdmissionToken(secret, { ...admission, admittedAtMs: now - 600_000, expiresAtMs: now - 300_000 })],
      ];
      return forged.map(([what, token]) => ({
        category: 'credentials',
        name: `X-Admission-Token: ${what}`,
        mutate: (req) => ({
          ...req,
          body: { concertId: world.roomConcert.id, seatTypeId: world.roomConcert.seatTypeId },
          headers: { ...req.headers, 'X-Admission-Token': token },
        }),
        expect: { status: 403, code: 'admission_required' },
      }));
    },
  },
  'GET /api/v1/bookings/requests/{requestId}': { expect: OWNER_OR_ADMIN(200), request: (world) => ({ params: { requestId: world.booking.requestId } }) },
  'GET /api/v1/bookings/my-bookings': {
    expect: USERS_ONLY(200),
    note: "owner-scoped list: another fan's answer must not contain the fan's bookings",
    request: () => ({ query: 'limit=10&offset=0' }),
  },
  'GET /api/v1/bookings/{id}': { expect: OWNER_OR_ADMIN(200), request: (world) => ({ params: { id: world.booking.id } }) },
  'DELETE /api/v1/bookings/{id}': {
    expect: { anonymous: 401, fan: 200, otherFan: 404, admin: 200 },
    note: "another fan's booking answers 404 like none (issue 18: ids are guessable); each call cancels a fresh booking of the fan",
    request: async (world) => ({ params: { id: await world.freshBooking(world.fan) } }),
  },
  'PUT /api/v1/waiting-lists/{concertId}/me': {
    expect: USERS_ONLY(200),
    note: 'a sold-out concert nobody holds a ticket of but its seat holder; joining again keeps the place. For any seat type: a bad input that drops the optional seatTypeId joins the same way',
    request: (world) => ({ params: { concertId: world.listConcert.id }, body: {} }),
  },
  'GET /api/v1/waiting-lists/{concertId}/me': {
    expect: { anonymous: 401, fan: 200, otherFan: 404, admin: 404 },
    deniedCode: { otherFan: 'not_on_waiting_list', admin: 'not_on_waiting_list' },
    note: "the caller's own place only: whoever has not joined is not on the list",
    request: (world) => ({ params: { concertId: world.waitedConcert.id } }),
  },
  'DELETE /api/v1/waiting-lists/{concertId}/me': {
    expect: USERS_ONLY(204),
    note: 'each call leaves after joining first (the caller’s own place only)',
    request: async (world, caller) => {
      const account = accountOf(world, caller);
      if (account) await world.platform.api.request('PUT', `/api/v1/waiting-lists/${world.listConcert.id}/me`, { token: account.token, body: {} });
      return { params: { concertId: world.listConcert.id } };
    },
  },
  'POST /api/v1/waiting-lists/{concertId}/offers/{offerId}/decline': {
    expect: { anonymous: 401, fan: 204, otherFan: 404, admin: 404 },
    note: "an offer is its fan's alone: anyone else is told there is no such offer; each call declines a fresh offer to the fan",
    request: async (world) => {
      const offer = await world.freshOffer(world.fan);
      return { params: { concertId: offer.concertId, offerId: offer.offerId } };
    },
  },
  'GET /api/v1/notifications': {
    expect: USERS_ONLY(200),
    note: "owner-scoped list: another fan's answer must not contain the fan's emails",
    request: () => ({ query: 'limit=10&offset=0' }),
  },
  'POST /api/v1/waiting-room/{concertId}/join': { expect: USERS_ONLY(200), request: (world) => ({ params: { concertId: world.joinConcert.id } }) },
  'GET /api/v1/waiting-room/{concertId}/status': {
    expect: { anonymous: 401, fan: 200, otherFan: 404, admin: 404 },
    deniedCode: { otherFan: 'not_in_line', admin: 'not_in_line' },
    note: "the caller's own place only: whoever has not joined (another fan, the admin) is not in line",
    request: (world) => ({ params: { concertId: world.roomConcert.id } }),
  },
  // The operator's line controls, on the pre-queue concert (drained, its fan keeps the place; resume undoes it).
  'POST /api/v1/waiting-room/{concertId}/pause': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { concertId: world.roomConcert.id } }) },
  'POST /api/v1/waiting-room/{concertId}/resume': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { concertId: world.roomConcert.id } }) },
  'POST /api/v1/waiting-room/{concertId}/drain': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { concertId: world.roomConcert.id } }) },
  'PATCH /api/v1/waiting-room/{concertId}/settings': {
    expect: ADMIN_ONLY(200),
    request: (world) => ({
      params: { concertId: world.roomConcert.id },
      // Every field present, so the bad-input suite reaches each; the grace period stays long (GENEROUS_LIMITS).
      body: { admitPerSecond: 5, maxActive: 100, claimWindowSeconds: 60, graceSeconds: 3600 },
    }),
  },
  'GET /api/v1/waiting-room/{concertId}/stats': { expect: ADMIN_ONLY(200), request: (world) => ({ params: { concertId: world.roomConcert.id } }) },
  'GET /waiting-room/{concertId}': {
    expect: ALL_OK(200),
    nonexistentIdStatus: 200,
    note: 'a static page shell: a well-formed id of no concert still gets the page, whose join call answers 404',
    request: (world) => ({ params: { concertId: world.roomConcert.id } }),
  },
  'GET /waiting-room/assets/socket.io.min.js': { expect: ALL_OK(200), request: () => ({}) },
  // The test platform runs no Prometheus: the admin gets the charts' clear 503, others 401/403 before it.
  'GET /api/v1/admin/charts': {
    expect: ADMIN_ONLY(503),
    deniedCode: { admin: 'service_unavailable' },
    request: (world) => ({ query: `concertId=${world.roomConcert.id}&minutes=5` }),
  },
  'GET /admin': { expect: ALL_OK(200), request: () => ({}) },
  'GET /admin/assets/uPlot.iife.min.js': { expect: ALL_OK(200), request: () => ({}) },
  'GET /admin/assets/uPlot.min.css': { expect: ALL_OK(200), request: () => ({}) },
  'GET /waiting-room/my-bookings': { expect: ALL_OK(200), request: () => ({}) },
  // The gateway's own routes (not in the OpenAPI document).
  'GET /health': { expect: ALL_OK(200), note: "the edge's plain liveness answer; the detailed one is on the processes' own ports", request: () => ({}) },
  'GET /api/openapi.json': { expect: ALL_OK(200), request: () => ({}) },
  'GET /api/docs': { expect: ALL_OK(200), request: () => ({}) },
  'GET /api/docs/viewer.js': { expect: ALL_OK(200), request: () => ({}) },
};

/** The usual error code of a denial. */
export function deniedCodeOf(row: AccessRow, caller: Caller): string {
  const status = row.expect[caller];
  return row.deniedCode?.[caller] ?? (status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'not_found');
}

/** The caller whose token the bad inputs are sent with: nobody when anyone may call, else the fan, else the admin. */
export function badInputCaller(row: AccessRow): Caller {
  const allowed = (caller: Caller) => row.expect[caller] >= 200 && row.expect[caller] < 300;
  return allowed('anonymous') ? 'anonymous' : allowed('fan') ? 'fan' : 'admin';
}

export function tokenFor(world: World, caller: Caller, request: ValidRequest): string | undefined {
  if (request.token !== undefined) return request.token ?? undefined;
  return accountOf(world, caller)?.token;
}

/** An endpoint's valid request as `caller` sends it, the shape the suites then send or make bad. */
export function shapeFor(world: World, caller: Caller, valid: ValidRequest): RequestShape {
  return { params: valid.params ?? {}, query: valid.query ?? '', body: valid.body, headers: valid.headers ?? {}, token: tokenFor(world, caller, valid) };
}

import type { Booking, Concert, Email, Session } from '../../support/api-types.js';
import { DEV_ADMIN, type ApiResponse, type TestPlatform } from '../../support/test-platform.js';

export interface Account {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
}

export interface ConcertRef {
  id: string;
  seatTypeId: string;
}

/**
 * What the security suites call the API with: three real accounts (a fan, another
 * fan, the admin) and resources the fan owns, so owner-scoped endpoints can be
 * asked by their owner and by someone else.
 */
export interface World {
  platform: TestPlatform;
  admin: Account;
  fan: Account;
  otherFan: Account;
  /** The fan holds `booking` here. */
  concert: ConcertRef;
  /** Nobody has booked it: each caller may submit once. */
  openConcert: ConcertRef;
  /** Waiting room on; only the fan has joined. */
  roomConcert: ConcertRef;
  /** Waiting room on; nobody has joined (the join row of the matrix uses it). */
  joinConcert: ConcertRef;
  /** Sold out (one seat, another account holds it); nobody waits: the join row of the matrix uses it. */
  listConcert: ConcertRef;
  /** Sold out; only the fan is on its waiting list. */
  waitedConcert: ConcertRef;
  /** The fan's confirmed booking on `concert` (its request id is its id). */
  booking: { id: string; requestId: string };
  /** A new fan account (for calls that end sessions or delete the account). */
  freshAccount(label: string): Promise<Account>;
  /** A fresh admin session (logout and account deletion revoke the admin's earlier tokens). */
  freshAdminSession(): Promise<Account>;
  /** A new confirmed booking of `owner` on a concert of its own (for cancel). */
  freshBooking(owner: Account): Promise<string>;
  /** A new concert with one seat type. */
  freshConcert(opts?: { waitingRoom?: boolean; capacity?: number }): Promise<ConcertRef>;
  /** An open waiting-list offer to `fan`: a sold-out concert of its own whose only booking was cancelled. */
  freshOffer(fan: Account): Promise<{ concertId: string; offerId: string }>;
}

let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${Date.now()}-${++counter}`;

export async function buildWorld(platform: TestPlatform): Promise<World> {
  const { api } = platform;

  function expect<T>(status: number, what: string, res: ApiResponse<T>): T {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function login(email: string, password: string): Promise<Account> {
    const body = expect(200, `login ${email}`, await api.post<Session>('/api/v1/auth/login', { email, password }));
    return { id: body.user.id, email, password, token: body.accessToken, refreshToken: body.refreshToken };
  }

  async function freshAccount(label: string): Promise<Account> {
    const email = `${unique(label)}@security.test`;
    const password = 'correct-horse-battery';
    const body = expect(201, `register ${email}`, await api.post<Session>('/api/v1/auth/register', { email, password, name: label }));
    return { id: body.user.id, email, password, token: body.accessToken, refreshToken: body.refreshToken };
  }

  const admin = await login(DEV_ADMIN.email, DEV_ADMIN.password);

  async function freshConcert(opts: { waitingRoom?: boolean; capacity?: number } = {}): Promise<ConcertRef> {
    const body = expect(
      201,
      'create concert',
      await api.post<Concert>(
        '/api/v1/concerts',
        {
          name: unique('Security concert'),
          venue: 'Test Hall',
          startsAt: new Date(Date.now() + 7 * 24 * 3600_000).toISOString(),
          seatTypes: [{ name: 'Floor', price: 10, capacity: opts.capacity ?? 100 }],
          ...(opts.waitingRoom ? { waitingRoom: { enabled: true, admitPerSecond: 5 } } : {}),
        },
        admin.token,
      ),
    );
    return { id: body.id, seatTypeId: body.seatTypes[0].id };
  }

  async function book(owner: Account, concert: ConcertRef): Promise<string> {
    const res = await api.request<Booking>('POST', '/api/v1/bookings', {
      token: owner.token,
      body: { concertId: concert.id, seatTypeId: concert.seatTypeId },
      headers: { prefer: 'wait=20' },
    });
    return expect(201, `book ${concert.id}`, res).id;
  }

  const [fan, otherFan] = await Promise.all([freshAccount('fan'), freshAccount('other-fan')]);
  const [concert, openConcert, roomConcert, joinConcert] = await Promise.all([
    freshConcert(),
    freshConcert(),
    freshConcert({ waitingRoom: true }),
    freshConcert({ waitingRoom: true }),
  ]);
  const bookingId = await book(fan, concert);

  /** A one-seat concert whose seat a fresh account holds. */
  async function soldOutConcert(): Promise<ConcertRef & { bookingId: string; holder: Account }> {
    const [ref, holder] = await Promise.all([freshConcert({ capacity: 1 }), freshAccount('seat-holder')]);
    return { ...ref, holder, bookingId: await book(holder, ref) };
  }
  const joinList = async (who: Account, c: ConcertRef) =>
    expect(
      200,
      'join the waiting list',
      await api.request('PUT', `/api/v1/waiting-lists/${c.id}/me`, { token: who.token, body: { seatTypeId: c.seatTypeId } }),
    );
  const [listConcert, waitedConcert] = await Promise.all([soldOutConcert(), soldOutConcert()]);
  await joinList(fan, waitedConcert);
  expect(200, 'join the waiting room', await api.post(`/api/v1/waiting-room/${roomConcert.id}/join`, undefined, fan.token));

  // The confirmation email is what the notifications rows look for.
  const until = Date.now() + 30_000;
  while ((await api.get<Email[]>('/api/v1/notifications', fan.token)).body?.length < 1) {
    if (Date.now() > until) throw new Error('the booking confirmation email never arrived');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    platform,
    admin,
    fan,
    otherFan,
    concert,
    openConcert,
    roomConcert,
    joinConcert,
    listConcert,
    waitedConcert,
    booking: { id: bookingId, requestId: bookingId },
    freshAccount,
    freshAdminSession: () => login(DEV_ADMIN.email, DEV_ADMIN.password),
    async freshBooking(owner) {
      return book(owner, await freshConcert({ capacity: 5 }));
    },
    freshConcert,
    async freshOffer(who) {
      const c = await soldOutConcert();
      await joinList(who, c);
      expect(200, 'cancel the only seat', await api.request('DELETE', `/api/v1/bookings/${c.bookingId}`, { token: c.holder.token }));
      const place = expect(200, 'read the offer', await api.get<{ offer?: { offerId: string } }>(`/api/v1/waiting-lists/${c.id}/me`, who.token));
      if (!place.offer) throw new Error('no offer after the cancel');
      return { concertId: c.id, offerId: place.offer.offerId };
    },
  };
}

/**
 * Rate limits the suites would trip by design (hundreds of calls from one IP by a few fans), raised for them.
 * Login limits stay as they are: bad login bodies fail validation before an attempt is counted. The fan in
 * line keeps its place for the whole run (no socket, no polls), so the stores change only when a test does.
 */
export const GENEROUS_LIMITS = {
  DEFAULT_GRACE_SECONDS: '3600',
  // Admissions outlast the run too (the claim window's default, 60 s, would end them mid-suite).
  DEFAULT_CLAIM_WINDOW_SECONDS: '3600',
  BOOKING_SUBMIT_LIMIT: '100000',
  BOOKING_SUBMIT_WINDOW_MS: '60000',
  WAITING_ROOM_JOIN_LIMIT_PER_IP: '100000',
  WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT: '100000',
  WAITING_ROOM_JOIN_WINDOW_MS: '60000',
};

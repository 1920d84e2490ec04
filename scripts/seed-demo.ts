/**
 * `npm run seed`: creates a few demo concerts on a running platform (at ONSALE_URL,
 * default http://localhost:${PORT:-3000}) for people trying it out: one starting in a
 * few minutes (to watch the cut-off), one with a waiting room, one next month. A demo
 * concert that exists already (by name) is left as it is, so seeding twice adds nothing.
 * Logs in with ADMIN_EMAIL / ADMIN_PASSWORD (the development defaults otherwise).
 */
import { DEV_ADMIN } from './stack/platform.js';
import { onsaleUrl } from './stack/onsale-url.js';

const baseUrl = onsaleUrl();
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

interface Concert {
  id: string;
  name: string;
  venue: string;
  startsAt: string;
  waitingRoom: { enabled: boolean };
}

/** The platform could not be reached at all (as opposed to answering with an error). */
class Unreachable extends Error {}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(`cannot reach the platform at ${baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${baseUrl}${path}: ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

/** Every concert's name, past ones included. */
async function existingNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (let offset = 0; ; offset += 100) {
    const page = await call<Concert[]>('GET', `/api/v1/concerts?when=all&limit=100&offset=${offset}`);
    for (const c of page) names.add(c.name);
    if (page.length < 100) return names;
  }
}

const demos = [
  {
    name: 'Last-Minute Sessions',
    venue: 'The Small Room',
    startsAt: inMinutes(5),
    seatTypes: [
      { name: 'Standing', price: 25, capacity: 50 },
      { name: 'Balcony', price: 40, capacity: 10, description: 'Seated, first floor' },
    ],
  },
  {
    name: 'Stadium Night',
    venue: 'Riverside Stadium',
    startsAt: inMinutes(24 * 60),
    seatTypes: [
      { name: 'Pitch', price: 89, capacity: 2000 },
      { name: 'Lower tier', price: 69, capacity: 1500 },
      { name: 'VIP', price: 250, capacity: 50, description: 'Lounge access' },
    ],
    waitingRoom: { enabled: true, admitPerSecond: 20, maxActive: 200, tokenTtlSeconds: 300 },
  },
  {
    name: 'Autumn Strings',
    venue: 'City Concert Hall',
    startsAt: inMinutes(30 * 24 * 60),
    seatTypes: [
      { name: 'Stalls', price: 55, capacity: 400 },
      { name: 'Circle', price: 45, capacity: 250 },
    ],
  },
];

try {
  const existing = await existingNames();
  const login = await call<{ accessToken: string }>('POST', '/api/v1/auth/login', {
    email: process.env.ADMIN_EMAIL ?? DEV_ADMIN.email,
    password: process.env.ADMIN_PASSWORD ?? DEV_ADMIN.password,
  });
  for (const demo of demos) {
    if (existing.has(demo.name)) {
      console.log(`${demo.name}: already there, left as it is`);
      continue;
    }
    const concert = await call<Concert>('POST', '/api/v1/concerts', demo, login.accessToken);
    const room = concert.waitingRoom.enabled ? `  waiting room: ${baseUrl}/waiting-room/${concert.id}` : '';
    console.log(`${concert.name} at ${concert.venue}, ${concert.startsAt} — id ${concert.id}${room}`);
  }
} catch (err) {
  const hint = err instanceof Unreachable ? '\n(is the platform running? start it with npm start, or set ONSALE_URL to where it runs)' : '';
  console.error(`seed: ${(err as Error).message}${hint}`);
  process.exit(1);
}

/**
 * `npm run seed`: creates a few demo concerts on a running platform (default
 * http://localhost:3000, or BASE_URL) for people trying it out: one starting in
 * a few minutes (to watch the cut-off), one with a waiting room, one next month.
 * Logs in with ADMIN_EMAIL / ADMIN_PASSWORD (the development defaults otherwise).
 */
import { DEV_ADMIN } from './stack/platform.js';

const baseUrl = process.env.BASE_URL ?? 'http://localhost:3000';
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
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
  const login = await call('POST', '/api/v1/auth/login', {
    email: process.env.ADMIN_EMAIL ?? DEV_ADMIN.email,
    password: process.env.ADMIN_PASSWORD ?? DEV_ADMIN.password,
  });
  for (const demo of demos) {
    const concert = await call('POST', '/api/v1/concerts', demo, login.accessToken);
    const room = concert.waitingRoom.enabled ? `  waiting room: ${baseUrl}/waiting-room/${concert.id}` : '';
    console.log(`${concert.name} at ${concert.venue}, ${concert.startsAt} — id ${concert.id}${room}`);
  }
} catch (err) {
  console.error(`seed: ${(err as Error).message}\n(is the platform running? start it with npm start)`);
  process.exit(1);
}

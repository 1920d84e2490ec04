import { Types } from 'mongoose';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../../lib/auth-middleware.js';
import type { Concert, Session } from './api-types.js';
import { type TestPlatform } from './test-platform.js';

export interface Fan {
  id: string;
  email: string;
  token: string;
}

/**
 * Fans for concurrency tests, with access tokens signed by the platform's own
 * key (what Auth would issue) so that hundreds of fans cost no bcrypt time.
 * Auth itself is covered by its own black-box tests.
 */
export function mintFans(platform: TestPlatform, count: number, role: 'fan' | 'admin' = 'fan'): Fan[] {
  const privateKey = platform.services.get('auth')?.env.JWT_PRIVATE_KEY;
  if (!privateKey) throw new Error('the auth service (and its key) is needed to mint tokens');
  return Array.from({ length: count }, () => {
    const id = new Types.ObjectId().toHexString();
    const email = `fan-${id}@test.local`;
    const token = jwt.sign({ role, email }, privateKey, {
      algorithm: 'RS256',
      subject: id,
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      expiresIn: 3600,
    });
    return { id, email, token };
  });
}

export async function adminToken(platform: TestPlatform): Promise<string> {
  const res = await platform.api.post<Session>('/api/v1/auth/login', platform.admin);
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status}`);
  return res.body.accessToken;
}

export async function createConcert(
  platform: TestPlatform,
  token: string,
  opts: {
    startsInMs?: number;
    currency?: string;
    seatTypes: Array<{ name: string; price?: number; capacity: number }>;
    waitingRoom?: unknown;
    waitingList?: unknown;
  },
) {
  const res = await platform.api.post<Concert>(
    '/api/v1/concerts',
    {
      name: `Concert ${Date.now()}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + (opts.startsInMs ?? 24 * 3600_000)).toISOString(),
      ...(opts.currency ? { currency: opts.currency } : {}),
      seatTypes: opts.seatTypes.map((s) => ({ price: 10, ...s })),
      ...(opts.waitingRoom ? { waitingRoom: opts.waitingRoom } : {}),
      ...(opts.waitingList ? { waitingList: opts.waitingList } : {}),
    },
    token,
  );
  if (res.status !== 201) throw new Error(`create concert failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

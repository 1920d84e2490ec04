import { io as connect, type Socket } from 'socket.io-client';
import type { Fan } from '../../test/support/fans.js';
import type { ApiResponse, TestPlatform } from '../../test/support/test-platform.js';
import type { LineStatus } from '../waiting-room.service.js';

/** A status answer once admitted: the service always sends the token and its expiry then. */
export type AdmittedStatus = LineStatus & { status: 'admitted'; admissionToken: string; expiresAt: string };

const isAdmitted = (body: LineStatus): body is AdmittedStatus => body.status === 'admitted';

/** The body is a LineStatus when the status is 200 (an error body otherwise). */
export const join = (platform: TestPlatform, fan: Fan, concertId: string): Promise<ApiResponse<LineStatus>> =>
  platform.api.post<LineStatus>(`/api/v1/waiting-room/${concertId}/join`, undefined, fan.token);
export const status = (platform: TestPlatform, fan: Fan, concertId: string): Promise<ApiResponse<LineStatus>> =>
  platform.api.get<LineStatus>(`/api/v1/waiting-room/${concertId}/status`, fan.token);

/** Polls a condition with a deadline (no fixed sleeps as synchronisation). */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls a fan's status until admitted; resolves with the status body. */
export async function admitted(platform: TestPlatform, fan: Fan, concertId: string, timeoutMs = 30_000): Promise<AdmittedStatus> {
  let last: unknown;
  try {
    return await eventually(
      `fan ${fan.id} admitted`,
      async () => {
        const res = await status(platform, fan, concertId);
        if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(res.body)}`);
        last = res.body;
        return isAdmitted(res.body) ? res.body : undefined;
      },
      timeoutMs,
      150,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last)}`, { cause: err });
  }
}

/** A fan's socket through the gateway, watching one concert's line; `from` is the client address (another loopback one, 127.0.0.2, is another client IP). */
export async function watchLine(platform: TestPlatform, fan: Fan, concertId: string, from?: string): Promise<Socket> {
  const socket = connect(platform.gatewayUrl, {
    path: '/socket.io',
    auth: { token: fan.token },
    transports: ['websocket'],
    reconnection: false,
    ...(from ? { localAddress: from } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.emit('waiting-room:watch', { concertId });
  return socket;
}

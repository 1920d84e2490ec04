import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from '../../scripts/stack/processes.js';
import { PER_IP_LIMITS_RAISED } from '../../scripts/stack/local-limits.js';
import { startPlatform, type Platform, type PlatformOptions } from '../../scripts/stack/platform.js';
import type { Session } from './api-types.js';

export { DEV_ADMIN } from '../../scripts/stack/platform.js';

export interface TestPlatform extends Platform {
  api: ApiClient;
  outputDir: string;
}

/**
 * Starts a hermetic platform for one test file: its own redis-server and FerretDB
 * on free ports with a temporary data folder, and every service. Logs go to
 * test-output/<name>/ so a failure can be read afterwards.
 */
export async function startTestPlatform(name: string, opts: Partial<PlatformOptions> = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `onsale-${name}-`));
  const outputDir = path.join(ROOT, 'test-output', name);
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  const platform = await startPlatform({
    dataDir,
    gatewayPort: await freePort(),
    output: (svc) => ({ kind: 'file', path: path.join(outputDir, `${svc}.log`) }),
    ...opts,
    // Every test's fans share 127.0.0.1, and the waiting-room tests join thousands of them:
    // the per-IP join and registration limits are proven with low values in test/security/rate-limits.test.ts.
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      BCRYPT_ROUNDS: '4',
      ...PER_IP_LIMITS_RAISED,
      ...opts.env,
    },
  });
  const stop = platform.stop.bind(platform);
  return Object.assign(platform, {
    api: new ApiClient(platform.gatewayUrl),
    outputDir,
    async stop() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * An answer: `body` is the parsed JSON (the text when it is not JSON). `T` names the shape
 * the caller expects for the status it checks (test/support/api-types.ts); nothing checks it at run time.
 */
export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for black-box tests through the gateway. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T = unknown>(
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.rawBody !== undefined) body = opts.rawBody;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${url}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = unknown>(url: string, token?: string) {
    return this.request<T>('GET', url, { token });
  }
  post<T = unknown>(url: string, body: unknown, token?: string, headers?: Record<string, string>) {
    return this.request<T>('POST', url, { body, token, headers });
  }
  delete<T = unknown>(url: string, token?: string) {
    return this.request<T>('DELETE', url, { token });
  }
}

let fanCounter = 0;
/** Registers a fresh fan and returns its tokens. */
export async function registerFan(api: ApiClient, label = 'fan') {
  const email = `${label}-${process.pid}-${Date.now()}-${++fanCounter}@test.local`;
  const res = await api.post<Session>('/api/v1/auth/register', { email, password: 'correct-horse-battery', name: label });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    email,
    password: 'correct-horse-battery',
    id: res.body.user.id,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

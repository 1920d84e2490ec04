/**
 * `npm start` passes every documented variable to the processes that read it. The dev
 * entry runs with each variable of every config schema set to a distinctive valid value;
 * each process's effective configuration (its own schema applied to the environment it
 * was started with, read from /proc: nothing a client could reach) must hold that value.
 * CORS_ORIGINS and ACCESS_TOKEN_TTL_SECONDS are also checked by what they do.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CONFIG_SCHEMAS, configShape, configVariables, STACK_MANAGED } from '../../scripts/stack/config-vars.js';
import { SERVICES, type ServiceName } from '../../scripts/stack/platform.js';
import { freePort } from '../../scripts/stack/processes.js';
import { startFerretDb, startRedis, type ServerHandle } from '../../scripts/stack/servers.js';
import { commandLine, descendants, environOf, startDevEntry, type DevEntry } from './dev-entry.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const ORIGIN = 'https://tickets.env-test.example';

/** A value for every variable a process reads, none of them its default. */
const VALUES: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  HOST: '0.0.0.0',
  SHUTDOWN_TIMEOUT_MS: '4321',
  // MONGO_URL and REDIS_URL: the servers this test starts (before()).
  JWT_PUBLIC_KEY: keys.publicKey,
  JWT_PRIVATE_KEY: keys.privateKey,
  ACCESS_TOKEN_TTL_SECONDS: '123',
  REFRESH_TOKEN_TTL_SECONDS: '7777',
  BCRYPT_ROUNDS: '5',
  ADMIN_EMAIL: 'boss@env-test.example',
  ADMIN_PASSWORD: 'env-test-admin-password',
  ADMIN_NAME: 'Env Test Boss',
  LOGIN_LIMIT_PER_EMAIL: '11',
  LOGIN_LIMIT_PER_CLIENT: '7',
  LOGIN_KNOWN_CLIENT_DAYS: '29',
  LOGIN_LIMIT_PER_IP: '101',
  LOGIN_LIMIT_WINDOW_SECONDS: '61',
  REGISTER_LIMIT_PER_IP: '21',
  REGISTER_LIMIT_WINDOW_SECONDS: '3601',
  // REALTIME_URL: a stand-in Socket.IO node of this test's (the gateway checks its /health).
  BODY_LIMIT_BYTES: '12345',
  UPSTREAM_TIMEOUT_MS: '34567',
  BOOKING_SUBMIT_LIMIT: '77',
  BOOKING_SUBMIT_WINDOW_MS: '61000',
  BOOKING_JOB_ATTEMPTS: '3',
  BOOKING_JOB_BACKOFF_MS: '250',
  REQUEST_BATCH_SIZE: '150',
  REQUEST_BATCH_WAIT_MS: '6',
  RECONCILE_EVERY_MS: '2500',
  RECONCILE_SETTLE_AFTER_MS: '4500',
  WAITING_LIST_TICK_MS: '1100',
  WAITING_LIST_RECORD_EVERY_MS: '31000',
  WAITING_ROOM_WATCHES_PER_IP: '88',
  // Read only when an admin asks for the console's charts: nothing listens here, nothing asks.
  PROMETHEUS_URL: 'http://127.0.0.1:9',
  RECONCILE_FULL_EVERY_MS: '240000',
  TRUSTED_PROXIES: '10.1.2.0/24,192.0.2.7',
  EDGE_REQUEST_TIMEOUT_MS: '9876',
  EDGE_MAXCONN: '3210',
  EDGE_METRICS_PORT: String(await freePort()),
  CORS_ORIGINS: ORIGIN,
  WORKER_CONCURRENCY: '17',
  WORKER_LOCK_DURATION_MS: '12000',
  WORKER_STALLED_INTERVAL_MS: '6000',
  RECORD_BATCH_SIZE: '50',
  RECORD_BATCH_WAIT_MS: '7',
  ADMISSION_TOKEN_SECRET: 'env-test-admission-secret-0123456789abcdef',
  CLIENT_ADDRESS_SECRET: 'env-test-client-address-secret-0123456789',
  WAITING_ROOM_TICK_MS: '150',
  WAITING_ROOM_UPDATE_MS: '600',
  DEFAULT_GRACE_SECONDS: '900',
  STATUS_CACHE_MS: '300',
  WAITING_ROOM_JOIN_LIMIT_PER_IP: '333',
  WAITING_ROOM_JOIN_WINDOW_MS: '61000',
  WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT: '44',
  DEFAULT_ADMIT_PER_SECOND: '7',
  DEFAULT_CLAIM_WINDOW_SECONDS: '61',
  MAIL_FROM: 'Env Test <tickets@env-test.example>',
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://127.0.0.1:2525',
  NOTIFICATION_CONCURRENCY: '9',
  NOTIFICATION_SEND_LEASE_SECONDS: '90',
};

let redis: ServerHandle;
let ferretdb: ServerHandle;
let serversDir: string;
let dev: DevEntry;
let realtime: http.Server;
const pidOf = new Map<ServiceName, number>();

before(async () => {
  serversDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-env-servers-'));
  [redis, ferretdb] = await Promise.all([
    startRedis(path.join(serversDir, 'redis'), await freePort(), { kind: 'ignore' }),
    startFerretDb(path.join(serversDir, 'ferretdb'), await freePort(), { kind: 'ignore' }),
  ]);
  VALUES.REDIS_URL = redis.url;
  VALUES.MONGO_URL = ferretdb.url;
  realtime = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  const realtimePort = await freePort();
  await new Promise<void>((resolve) => realtime.listen(realtimePort, '127.0.0.1', resolve));
  VALUES.REALTIME_URL = `http://127.0.0.1:${realtimePort}`;
  dev = await startDevEntry(VALUES);
  await dev.up();
  for (const pid of descendants(dev.child.pid!))
    for (const [name, entry] of Object.entries(SERVICES) as Array<[ServiceName, string]>) if (commandLine(pid).endsWith(entry)) pidOf.set(name, pid);
});

after(async () => {
  await dev?.cleanUp();
  realtime?.close();
  await Promise.all([redis?.stop(), ferretdb?.stop()]);
  rmSync(serversDir, { recursive: true, force: true });
});

test('every variable of every config schema has a value here or is one npm start sets itself', () => {
  const all = new Set((Object.keys(CONFIG_SCHEMAS) as ServiceName[]).flatMap(configVariables));
  const missing = [...all].filter((v) => !(v in VALUES) && !STACK_MANAGED.has(v));
  assert.deepEqual(missing, [], 'give these a distinctive value in VALUES');
});

test('each process runs with the value of every variable it reads', () => {
  assert.deepEqual([...pidOf.keys()].sort(), Object.keys(SERVICES).sort(), 'every service process was found');
  const wrong: string[] = [];
  for (const [name, pid] of pidOf) {
    const parsed = CONFIG_SCHEMAS[name].safeParse(environOf(pid));
    assert.ok(parsed.success, `${name}'s environment satisfies its schema`);
    const effective = parsed.data as Record<string, unknown>;
    for (const [key, schema] of Object.entries(configShape(name))) {
      if (STACK_MANAGED.has(key)) continue;
      const expected: unknown = schema.parse(VALUES[key]);
      // Only the variable's name in the message: some of them are secrets.
      if (JSON.stringify(effective[key]) !== JSON.stringify(expected)) wrong.push(`${name}: ${key}`);
    }
  }
  assert.deepEqual(wrong, [], 'processes that did not get the value set for npm start');
  // HAProxy (the edge) listens on npm start's PORT; the Node gateway behind it on a port of its own.
  assert.notEqual(environOf(pidOf.get('gateway')!).PORT, String(dev.port), 'the Node gateway is behind the edge');
});

test("the edge (HAProxy) answers on npm start's PORT", async () => {
  const res = await fetch(`http://127.0.0.1:${dev.port}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' }, 'the public /health is the plain one');
  const metrics = await fetch(`http://127.0.0.1:${VALUES.EDGE_METRICS_PORT}/metrics`);
  assert.match(await metrics.text(), /^haproxy_process_max_connections 3210$/m, "HAProxy's exporter on EDGE_METRICS_PORT, with EDGE_MAXCONN");
});

test('CORS_ORIGINS reaches the gateway: a preflight from the listed origin is answered', async () => {
  const res = await fetch(`http://127.0.0.1:${dev.port}/api/v1/auth/login`, {
    method: 'OPTIONS',
    headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.ok(res.status < 300, `preflight answered ${res.status}`);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
});

test('ACCESS_TOKEN_TTL_SECONDS and the admin account reach auth: the admin logs in with a 123 s token', async () => {
  const res = await fetch(`http://127.0.0.1:${dev.port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: VALUES.ADMIN_EMAIL, password: VALUES.ADMIN_PASSWORD }),
  });
  assert.equal(res.status, 200);
  const { accessToken } = (await res.json()) as { accessToken: string };
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { exp: number; iat: number };
  assert.equal(claims.exp - claims.iat, 123);
});

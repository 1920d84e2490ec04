/**
 * `npm run bench:waiting-room`: holds BENCH_FANS (default 10,000) waiting fans'
 * Socket.IO connections on one Socket.IO node of a local platform and reports
 *   - memory per connection (RSS growth of the Socket.IO node, and of the clients),
 *   - broadcast lag: from the tick that changed the serving counter (Redis time in
 *     `waiting-room:update.updatedAt`) to receipt by each client, p50/p95/p99,
 *   - admission accuracy: fans admitted per second against the configured rate,
 *     and whether they were admitted in position order.
 *
 * The clients run in BENCH_CLIENT_PROCESSES child processes (default 2), as bare
 * WebSockets speaking the Socket.IO protocol, so the clients do not become the
 * bottleneck they are measuring. They connect
 * to the booking service's Socket.IO node directly: through the gateway each
 * connection costs the gateway two sockets, and this machine's hard limit of open
 * files (20,000) would cap the run at ~9,000 fans (BENCH_VIA_GATEWAY=1 to try).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { Types } from 'mongoose';
import WebSocket from 'ws';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from '../lib/auth-middleware.js';
import { openRedis } from '../lib/redis.js';
import { waitingRoomKeys } from '../lib/waiting-room-keys.js';
import { freePort } from '../scripts/stack/processes.js';
import { PER_IP_LIMITS_RAISED } from '../scripts/stack/local-limits.js';
import { ROOT, startPlatform, type Platform } from '../scripts/stack/platform.js';
import { ApiClient } from '../test/support/test-platform.js';

const LAG_BUCKETS = 30_001; // 1 ms buckets up to 30 s

interface ClientFan {
  id: string;
  token: string;
}
type ToClient = { kind: 'start'; url: string; concertId: string; fans: ClientFan[] } | { kind: 'measure' } | { kind: 'report' } | { kind: 'stop' };
type FromClient =
  | { kind: 'connected'; count: number; failed: number }
  | { kind: 'report'; lag: number[]; updates: number; admitted: Array<[string, number]>; disconnects: number; rssBytes: number };

if (process.argv[2] === 'client') runClient();
else await runBench();

/**
 * A client process. Each fan is a bare WebSocket speaking the Socket.IO protocol
 * (Engine.IO 4 / Socket.IO 5: open, connect with auth, ping/pong, events), which
 * is what the browser client sends on the wire, at a fraction of
 * socket.io-client's per-connection cost, so the clients are not what is measured.
 */
function runClient() {
  const sockets: WebSocket[] = [];
  let lag = new Array<number>(LAG_BUCKETS).fill(0);
  let measuring = false;
  let updates = 0;
  let disconnects = 0;
  const admitted: Array<[string, number]> = [];
  const send = (m: FromClient) => process.send!(m);

  const connectOne = (url: string, concertId: string, fan: ClientFan) =>
    new Promise<boolean>((resolve) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
      let ready = false;
      socket.on('message', (data) => {
        const m = (data as Buffer).toString();
        if (m === '2') return socket.send('3');
        if (m.startsWith('42')) {
          const [event, payload] = JSON.parse(m.slice(2)) as [string, { updatedAt?: number; expiresAt?: string }];
          if (event === 'waiting-room:update') {
            if (measuring) {
              updates++;
              lag[Math.min(LAG_BUCKETS - 1, Math.max(0, Date.now() - (payload.updatedAt ?? 0)))]++;
            }
          } else if (event === 'waiting-room:admitted') admitted.push([fan.id, Date.parse(payload.expiresAt ?? '')]);
          return;
        }
        if (m.startsWith('0')) return socket.send(`40${JSON.stringify({ token: fan.token })}`);
        if (m.startsWith('40')) {
          ready = true;
          socket.send(`42${JSON.stringify(['waiting-room:watch', { concertId }])}`);
          return resolve(true);
        }
        if (m.startsWith('44')) {
          socket.close();
          resolve(false);
        }
      });
      socket.on('error', () => !ready && resolve(false));
      socket.on('close', () => {
        if (ready) disconnects++;
        else resolve(false);
      });
      sockets.push(socket);
    });

  const onMessage = async (msg: ToClient) => {
    if (msg.kind === 'start') {
      let failed = 0;
      let next = 0;
      // A bounded number of handshakes in flight.
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          while (next < msg.fans.length) if (!(await connectOne(msg.url, msg.concertId, msg.fans[next++]))) failed++;
        }),
      );
      send({ kind: 'connected', count: msg.fans.length - failed, failed });
    } else if (msg.kind === 'measure') {
      lag = new Array<number>(LAG_BUCKETS).fill(0);
      updates = 0;
      measuring = true;
    } else if (msg.kind === 'report') {
      send({ kind: 'report', lag, updates, admitted, disconnects, rssBytes: process.memoryUsage().rss });
    } else if (msg.kind === 'stop') {
      for (const s of sockets) s.terminate();
      process.exit(0);
    }
  };
  process.on('message', (msg: ToClient) => void onMessage(msg));
}

function rssOf(pid: number | undefined): number {
  if (!pid) return NaN;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

function percentile(histogram: number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms];
    if (seen >= total * p) return ms;
  }
  return histogram.length - 1;
}

/** The platform's public API through the edge (the tests' client). */
const http = <T>(platform: Platform, method: string, url: string, token?: string, body?: unknown) =>
  new ApiClient(platform.gatewayUrl).request<T>(method, url, { token, body });

async function runBench() {
  const fans = Number(process.env.BENCH_FANS ?? 10_000);
  const rate = Number(process.env.BENCH_ADMIT_PER_SECOND ?? 50);
  const measureSeconds = Number(process.env.BENCH_MEASURE_SECONDS ?? 20);
  const clientProcesses = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
  const viaGateway = process.env.BENCH_VIA_GATEWAY === '1';
  const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-bench-wr-'));
  const outputDir = path.join(ROOT, 'test-output', 'bench-waiting-room');
  mkdirSync(outputDir, { recursive: true });
  log(`starting the platform (logs in ${path.relative(ROOT, outputDir)})…`);
  const platform = await startPlatform({
    dataDir,
    gatewayPort: await freePort(),
    output: (svc) => ({ kind: 'file', path: path.join(outputDir, `${svc}.log`) }),
    // Every benchmark fan joins from 127.0.0.1: the per-IP join limit would stop the benchmark.
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...PER_IP_LIMITS_RAISED,
    },
  });
  const children: ChildProcess[] = [];
  try {
    const admin = (await http<{ accessToken: string }>(platform, 'POST', '/api/v1/auth/login', undefined, platform.admin)).body.accessToken;
    const concert = (
      await http<{ id: string }>(platform, 'POST', '/api/v1/concerts', admin, {
        name: 'Waiting-room benchmark',
        venue: 'Bench Arena',
        startsAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
        seatTypes: [{ name: 'Floor', price: 10, capacity: Math.min(100_000, fans) }],
        waitingRoom: { enabled: true, admitPerSecond: rate, tokenTtlSeconds: 3600 },
      })
    ).body;

    const privateKey = readFileSync(path.join(dataDir, 'jwt-private.pem'), 'utf8');
    const fanList: ClientFan[] = Array.from({ length: fans }, () => {
      const id = new Types.ObjectId().toHexString();
      const token = jwt.sign({ role: 'fan', email: `bench-${id}@bench.local` }, privateKey, {
        algorithm: 'RS256',
        subject: id,
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        expiresIn: 3600,
      });
      return { id, token };
    });

    const socketNode = platform.services.get('booking')!;
    const gateway = platform.services.get('gateway')!;
    const baseline = { node: rssOf(socketNode.child?.pid), gateway: rssOf(gateway.child?.pid) };
    const socketUrl = viaGateway ? platform.gatewayUrl : platform.serviceUrl('booking');
    log(`opening ${fans} Socket.IO connections to ${viaGateway ? 'the gateway' : 'the Socket.IO node'} from ${clientProcesses} client processes…`);
    const connectStarted = Date.now();
    const perChild = Math.ceil(fans / clientProcesses);
    const connected = await Promise.all(
      Array.from({ length: clientProcesses }, (_, i) => {
        const child = fork(fileURLToPath(import.meta.url), ['client'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
        children.push(child);
        return new Promise<{ count: number; failed: number }>((resolve) => {
          child.once('message', (m: FromClient) => m.kind === 'connected' && resolve(m));
          child.send({ kind: 'start', url: socketUrl, concertId: concert.id, fans: fanList.slice(i * perChild, (i + 1) * perChild) } satisfies ToClient);
        });
      }),
    );
    const open = connected.reduce((a, c) => a + c.count, 0);
    const failed = connected.reduce((a, c) => a + c.failed, 0);
    log(`${open} connected, ${failed} failed, in ${((Date.now() - connectStarted) / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 3000)); // let the node settle before reading its memory
    const held = { node: rssOf(socketNode.child?.pid), gateway: rssOf(gateway.child?.pid) };

    log(`joining ${fans} fans over REST (admission at ${rate}/s starts with the first)…`);
    const positionOf = new Map<string, number>();
    let nextJoin = 0;
    const joinStarted = Date.now();
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (nextJoin < fanList.length) {
          const fan = fanList[nextJoin++];
          const res = await http<{ position: number }>(platform, 'POST', `/api/v1/waiting-room/${concert.id}/join`, fan.token);
          if (res.status === 200) positionOf.set(fan.id, res.body.position);
        }
      }),
    );
    const joinSeconds = (Date.now() - joinStarted) / 1000;
    log(`joined ${positionOf.size} in ${joinSeconds.toFixed(1)} s; measuring for ${measureSeconds} s…`);

    for (const c of children) c.send({ kind: 'measure' } satisfies ToClient);
    const measureStart = Date.now();
    await new Promise((r) => setTimeout(r, measureSeconds * 1000));
    const measureEnd = Date.now();
    const reports = await Promise.all(
      children.map(
        (child) =>
          new Promise<Extract<FromClient, { kind: 'report' }>>((resolve) => {
            child.once('message', (m: FromClient) => m.kind === 'report' && resolve(m));
            child.send({ kind: 'report' } satisfies ToClient);
          }),
      ),
    );
    const end = { node: rssOf(socketNode.child?.pid) };

    const lag = new Array<number>(LAG_BUCKETS).fill(0);
    for (const r of reports) r.lag.forEach((n, ms) => (lag[ms] += n));
    const updates = reports.reduce((a, r) => a + r.updates, 0);
    const clientRss = reports.reduce((a, r) => a + r.rssBytes, 0);
    const admittedAt = reports.flatMap((r) => r.admitted).map(([id, expiresAtMs]) => ({ id, at: expiresAtMs - 3600_000, position: positionOf.get(id) ?? NaN }));
    admittedAt.sort((a, b) => a.at - b.at || a.position - b.position);
    const inOrder = admittedAt.every((a, i) => i === 0 || a.position > admittedAt[i - 1].position);
    const windowStart = Math.ceil(measureStart / 1000) * 1000;
    const seconds = Math.floor((measureEnd - windowStart) / 1000);
    const perSecond = Array.from(
      { length: seconds },
      (_, s) => admittedAt.filter((a) => a.at >= windowStart + s * 1000 && a.at < windowStart + (s + 1) * 1000).length,
    );
    const mean = perSecond.reduce((a, b) => a + b, 0) / Math.max(1, perSecond.length);
    const redis = openRedis(platform.redisUrl);
    const admittedByServer = await redis.zcard(waitingRoomKeys(concert.id).admitted);
    redis.disconnect();

    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${mb(os.totalmem())} MB RAM, load avg ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join('/')}`,
      fans,
      connected: open,
      failedConnections: failed,
      disconnectsDuringRun: reports.reduce((a, r) => a + r.disconnects, 0),
      via: viaGateway ? 'gateway' : 'socket.io node directly',
      memory: {
        socketNodeBaselineMB: mb(baseline.node),
        socketNodeWithConnectionsMB: mb(held.node),
        socketNodeAtEndMB: mb(end.node),
        perConnectionKB: ((held.node - baseline.node) / Math.max(1, open) / 1024).toFixed(1),
        gatewayPerConnectionKB: viaGateway ? ((held.gateway - baseline.gateway) / Math.max(1, open) / 1024).toFixed(1) : 'n/a',
        clientsPerConnectionKB: (clientRss / Math.max(1, open) / 1024).toFixed(1),
      },
      broadcastLagMs: { updatesReceived: updates, p50: percentile(lag, 0.5), p95: percentile(lag, 0.95), p99: percentile(lag, 0.99), max: percentile(lag, 1) },
      joins: { count: positionOf.size, seconds: Number(joinSeconds.toFixed(1)), perSecond: Math.round(positionOf.size / joinSeconds) },
      admission: {
        configuredPerSecond: rate,
        measuredSeconds: perSecond.length,
        meanPerSecond: Number(mean.toFixed(2)),
        minPerSecond: Math.min(...perSecond),
        maxPerSecond: Math.max(...perSecond),
        errorOfMeanPercent: Number(((Math.abs(mean - rate) / rate) * 100).toFixed(2)),
        inPositionOrder: inOrder,
        admittedEventsReceived: admittedAt.length,
        admittedByServer,
      },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const c of children) c.send({ kind: 'stop' } satisfies ToClient);
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * CPU per proxied request at the edge: HAProxy with the platform's own generated config (headers,
 * request id, signed client address, CORS, body limit) against a bare Node `http-proxy` hop, and
 * optionally the old Node gateway of a checkout given in OLD_GATEWAY_DIR (its services/gateway/main.ts).
 * Each proxy gets the same load in turn, ROUNDS times: REQUESTS keep-alive POSTs with IN_FLIGHT at once
 * to a trivial upstream. CPU is the proxy process's utime+stime from /proc/<pid>/stat.
 *   node --import tsx bench/edge-proxy-cpu.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from '../scripts/stack/processes.js';
import { placeholderGatewayConfig } from '../test/api-contract/support/served-routes.js';
import { haproxyConfig } from '../services/gateway/haproxy/haproxy-config.js';

const REQUESTS = Number(process.env.REQUESTS ?? 30_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
};

async function waitUntilAnswers(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST', body: '{}' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

/** `count` POSTs over IN_FLIGHT keep-alive connections; resolves with the wall time. */
async function drive(port: number, count = REQUESTS): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const body = JSON.stringify({ concertId: '6650f1c2a1b2c3d4e5f60718', seatTypeId: '6650f1c2a1b2c3d4e5f60719' });
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next++ < count) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            port,
            host: '127.0.0.1',
            method: 'POST',
            path: '/api/v1/bookings',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  agent.destroy();
  return Date.now() - started;
}

async function main() {
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}'));
  });
  upstream.keepAliveTimeout = 65_000;
  const upstreamPort = await freePort();
  await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
  const target = `http://127.0.0.1:${upstreamPort}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-bench-'));
  const proxies: Array<{ name: string; port: number; child: ChildProcess }> = [];

  // HAProxy with the platform's config, every route at the trivial upstream.
  const haproxyPort = await freePort();
  const config = {
    ...placeholderGatewayConfig(),
    CLIENT_ADDRESS_SECRET: 'a-bench-secret-of-at-least-32-characters',
    CORS_ORIGINS: ['https://tickets.example.com'],
  };
  for (const key of ['AUTH_URL', 'CONCERT_URL', 'BOOKING_URL', 'NOTIFICATION_URL', 'WAITING_ROOM_URL', 'REALTIME_URL'] as const) config[key] = target;
  const cfg = path.join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    haproxyConfig(config, { host: '127.0.0.1', port: haproxyPort, metricsHost: '127.0.0.1', metricsPort: await freePort(), gatewayUrl: target }),
  );
  proxies.push({ name: 'HAProxy 2.6 (generated config)', port: haproxyPort, child: spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' }) });

  // A bare http-proxy hop: what any Node proxy costs before it does anything of its own.
  const barePort = await freePort();
  const bareScript = `const http=require('node:http');const p=require('http-proxy').createProxyServer({target:${JSON.stringify(target)},agent:new http.Agent({keepAlive:true,maxSockets:512})});http.createServer((q,s)=>p.web(q,s)).listen(${barePort},'127.0.0.1');`;
  proxies.push({ name: 'bare Node http-proxy hop', port: barePort, child: spawn(process.execPath, ['-e', bareScript], { cwd: ROOT, stdio: 'ignore' }) });

  // The old gateway (the Node edge before HAProxy) from another checkout, when given.
  const old = process.env.OLD_GATEWAY_DIR;
  if (old) {
    const oldPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(oldPort),
      CLIENT_ADDRESS_SECRET: config.CLIENT_ADDRESS_SECRET,
    };
    for (const key of ['AUTH_URL', 'CONCERT_URL', 'BOOKING_URL', 'NOTIFICATION_URL', 'WAITING_ROOM_URL', 'REALTIME_URL']) Object.assign(env, { [key]: target });
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/main.ts'], { cwd: old, env, stdio: 'ignore' });
    proxies.push({ name: 'old Node gateway (http-proxy hop + its own work)', port: oldPort, child });
  }

  try {
    for (const p of proxies) await waitUntilAnswers(`http://127.0.0.1:${p.port}/api/v1/bookings`);
    const results = new Map<string, number[]>(proxies.map((p) => [p.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of proxies) {
        if (round === 0) await drive(p.port, 3000); // JIT and connections warmed up, not counted
        const before = cpuMs(p.child.pid!);
        const wallMs = await drive(p.port);
        const perRequest = (cpuMs(p.child.pid!) - before) / REQUESTS;
        results.get(p.name)!.push(perRequest);
        console.log(`round ${round + 1} ${p.name}: ${perRequest.toFixed(3)} ms CPU per request, ${Math.round((REQUESTS * 1000) / wallMs)} req/s`);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`\nmedian CPU per proxied request (${REQUESTS} keep-alive POSTs, ${IN_FLIGHT} in flight, ${ROUNDS} rounds):`);
    for (const [name, xs] of results) console.log(`  ${name}: ${median(xs).toFixed(3)} ms`);
  } finally {
    for (const p of proxies) p.child.kill('SIGKILL');
    upstream.close();
    upstream.closeAllConnections();
  }
}

await main();

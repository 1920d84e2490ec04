/**
 * `npm start`: the whole platform on this machine, no Docker. Starts Redis and
 * FerretDB on ports of their own (unless REDIS_URL / MONGO_URL point elsewhere),
 * every service, the Node gateway, and HAProxy (the edge) on PORT (default 3000). Every variable of the
 * services' config schemas that is set here reaches the processes that read it
 * (scripts/stack/config-vars.ts). WITH_PROMETHEUS=1 also starts Prometheus
 * (PROMETHEUS_PORT, default 9090) scraping every process each second (docs/OBSERVABILITY.md).
 *
 * Stopping: Ctrl-C, SIGTERM or SIGHUP to this process, or to the `npm start` that runs
 * it (this process stops when its parent is gone), stops the gateway, then the
 * services, the workers, and last Redis and FerretDB. Every child runs in a process
 * group of its own, so a terminal's Ctrl-C reaches only this process, which stops them
 * in that order. A process of the platform that exits on its own stops the rest.
 */
import path from 'node:path';
import { passThroughEnv, STACK_MANAGED } from './stack/config-vars.js';
import { LOAD_LIMITS_RAISED } from './stack/local-limits.js';
import { DEV_ADMIN, PortInUseError, ROOT, SERVICES, startPlatform, type Platform, type ServiceName } from './stack/platform.js';
import { canListen, startInOwnProcessGroups } from './stack/processes.js';
import { startPrometheus, writeDashboardIndex, type PrometheusHandle } from './stack/prometheus.js';

// A closed terminal must not turn the log lines written while stopping into a crash.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const gatewayPort = Number(process.env.PORT ?? 3000);
const gatewayHost = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.DATA_DIR ?? path.join(ROOT, '.data');
const withPrometheus = process.env.WITH_PROMETHEUS === '1';
const prometheusPort = Number(process.env.PROMETHEUS_PORT ?? 9090);

const fail = (message: string): never => {
  console.error(`npm start: ${message}`);
  process.exit(1);
};

if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535) fail(`PORT must be a port number (1-65535), not "${process.env.PORT}"`);
// Before anything starts: a second `npm start` must not report "up" while its gateway died.
const busy = `is already in use (another \`npm start\`?): stop what listens there, or set`;
if (!(await canListen(gatewayPort, gatewayHost))) fail(`port ${gatewayPort} ${busy} PORT to a free port`);
if (withPrometheus && !(await canListen(prometheusPort))) fail(`port ${prometheusPort} ${busy} PROMETHEUS_PORT to a free port`);

for (const key of STACK_MANAGED)
  if (key !== 'PORT' && process.env[key] !== undefined)
    console.warn(`npm start: ignoring ${key}: it points the gateway at the services npm start starts itself`);

// Every local fan (and `npm run load`'s k6) comes from 127.0.0.1, and the ramp sends each
// fan dozens of bookings a minute: the production limits would stop the load, not a flood.
// Set the variables to try them.
const devDefaults = LOAD_LIMITS_RAISED;
const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {};
for (const name of Object.keys(SERVICES) as ServiceName[]) serviceEnv[name] = { ...devDefaults, ...passThroughEnv(name) };
// The operator console's charts query the Prometheus this starts (a PROMETHEUS_URL given wins).
if (withPrometheus) serviceEnv.concert = { PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`, ...serviceEnv.concert };

let platform: Platform | undefined;
let prometheus: PrometheusHandle | undefined;
let stopping = false;
const starting = new AbortController();
/** The start in progress: stopping waits for it to give up and clean up after itself. */
let startAttempt: Promise<unknown> = Promise.resolve();

const shutdown = async (why: string, code = 0) => {
  if (stopping) return;
  stopping = true;
  starting.abort(why);
  console.log(`stopping (${why})…`);
  try {
    await startAttempt.catch(() => undefined);
    await prometheus?.stop();
    await platform?.stop();
  } finally {
    console.log('stopped.');
    process.exit(code);
  }
};
const onSignal = (signal: NodeJS.Signals) => {
  // A second Ctrl-C while stopping: stop waiting for anything.
  if (stopping) {
    for (const proc of [
      ...(platform?.services.values() ?? []),
      platform?.edge?.process,
      platform?.redis?.process,
      platform?.ferretdb?.process,
      prometheus?.process,
    ])
      proc?.child?.kill('SIGKILL');
    process.exit(130);
  }
  void shutdown(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

// `npm start` runs this under `sh -c`; a signal to npm reaches that shell, which dies and
// leaves this process behind, reparented. Its parent going away means stop.
const parent = process.ppid;
const watchParent = setInterval(() => {
  if (process.ppid !== parent) void shutdown(`the process that started it (pid ${parent}) is gone`);
}, 200);
watchParent.unref();

startInOwnProcessGroups();
console.log(`starting the platform (data in ${dataDir})…`);
startAttempt = startPlatform({
  dataDir,
  gatewayPort,
  mongoUrl: process.env.MONGO_URL,
  redisUrl: process.env.REDIS_URL,
  serviceEnv,
  output: (name) => ({ kind: 'console', prefix: `[${name}]` }),
  abort: starting.signal,
}).then((started) => (platform = started));
try {
  await startAttempt;
} catch (err) {
  if (stopping) await new Promise(() => undefined); // shutdown() exits
  fail(err instanceof PortInUseError ? `port ${err.port} ${busy} PORT to a free port` : `the platform did not start: ${(err as Error).message}`);
}
const up = platform as Platform;

const watchExit = (name: string, proc: { onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void } | undefined) => {
  if (proc)
    proc.onUnexpectedExit = (code, signal) => {
      console.error(`npm start: ${name} exited on its own (code ${code}, signal ${signal}): stopping the platform`);
      void shutdown(`${name} exited`, 1);
    };
};
for (const [name, proc] of up.services) watchExit(name, proc);
watchExit('edge (HAProxy)', up.edge?.process);
watchExit('redis', up.redis?.process);
watchExit('ferretdb', up.ferretdb?.process);

if (withPrometheus && !stopping) {
  try {
    startAttempt = startPrometheus({
      dataDir: path.join(dataDir, 'prometheus'),
      port: prometheusPort,
      // Every Node process on its own port, and HAProxy's built-in exporter on its metrics port (never the public one).
      targets: [...[...up.ports].map(([job, port]) => ({ job, port })), ...(up.edge ? [{ job: 'edge', port: up.edge.metricsPort }] : [])],
      scrapeIntervalSeconds: 1,
      output: { kind: 'console', prefix: '[prometheus]' },
    }).then((started) => (prometheus = started));
    await startAttempt;
    if (prometheus) writeDashboardIndex(prometheus.url.replace('127.0.0.1', 'localhost'), path.join(dataDir, 'prometheus', 'dashboards.html'));
  } catch (err) {
    startAttempt = Promise.resolve();
    // The platform is useful without it; say why and carry on.
    console.error(`Prometheus did not start: ${(err as Error).message}`);
  }
}

/** A store's URL as the banner shows it: whoever reads a terminal or its log must not learn the password. */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@').replace(/([?&]sentinelPassword=)[^&]*/i, '$1***');
}
const base = up.gatewayUrl.replace('127.0.0.1', 'localhost');
console.log(`
  The platform is up.
    API          ${base}/api/v1          (HAProxy; health: ${base}/health)
    Socket.IO    ${base}  path /socket.io  (auth: { token: <accessToken> })
    Metrics      ${[...(up.edge ? [['edge', up.edge.metricsPort] as const] : []), ...up.ports].map(([n, p]) => `${n} http://localhost:${p}/metrics`).join('\n                 ')}
                 (each process's own port, with its detailed /health; not the public port)
    MongoDB      ${withoutPassword(up.mongoUrl)}${up.ferretdb ? ` (FerretDB; password in ${path.join(dataDir, 'ferretdb', 'credentials.json')})` : ''}
    Redis        ${withoutPassword(up.redisUrl)}${prometheus ? `\n    Prometheus   ${prometheus.url.replace('127.0.0.1', 'localhost')}/graph  (scrape config: ${prometheus.configPath})\n    Dashboards   file://${path.join(dataDir, 'prometheus', 'dashboards.html')}  (every Grafana panel as a Prometheus graph)` : ''}
    Admin        ${process.env.ADMIN_EMAIL ?? DEV_ADMIN.email} / ${process.env.ADMIN_EMAIL ? '(ADMIN_PASSWORD)' : DEV_ADMIN.password}
  Ctrl-C stops everything.
`);

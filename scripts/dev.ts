/**
 * `npm start`: the whole platform on this machine, no Docker. Starts Redis and
 * FerretDB on ports of their own (unless REDIS_URL / MONGO_URL point elsewhere),
 * every service, and the gateway on PORT (default 3000). Ctrl-C stops it all.
 * WITH_PROMETHEUS=1 also starts Prometheus (PROMETHEUS_PORT, default 9090)
 * scraping every process each second (docs/OBSERVABILITY.md).
 */
import path from 'node:path';
import { DEV_ADMIN, ROOT, startPlatform } from './stack/platform.js';
import { startPrometheus, writeDashboardIndex, type PrometheusHandle } from './stack/prometheus.js';

const gatewayPort = Number(process.env.PORT ?? 3000);
const dataDir = process.env.DATA_DIR ?? path.join(ROOT, '.data');
const passThrough = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k, v]) =>
      v !== undefined &&
      /^(LOG_LEVEL|BCRYPT_ROUNDS|ADMIN_[A-Z]+|[A-Z_]+_LIMIT_[A-Z_]+|BOOKING_SUBMIT_[A-Z_]+|WAITING_ROOM_JOIN_[A-Z_]+|WORKER_[A-Z_]+)$/.test(k),
  ),
) as Record<string, string>;

console.log(`starting the platform (data in ${dataDir})…`);
const platform = await startPlatform({
  dataDir,
  gatewayPort,
  mongoUrl: process.env.MONGO_URL,
  redisUrl: process.env.REDIS_URL,
  // Every local fan (and `npm run load`'s k6) comes from 127.0.0.1, and the ramp sends each
  // fan dozens of bookings a minute: the production limits would stop the load, not a flood.
  // Set the variables to try them.
  env: { WAITING_ROOM_JOIN_LIMIT_PER_IP: '1000000', BOOKING_SUBMIT_LIMIT: '1000000', ...passThrough },
  output: (name) => ({ kind: 'console', prefix: `[${name}]` }),
});

let prometheus: PrometheusHandle | undefined;
if (process.env.WITH_PROMETHEUS === '1') {
  try {
    prometheus = await startPrometheus({
      dataDir: path.join(dataDir, 'prometheus'),
      port: Number(process.env.PROMETHEUS_PORT ?? 9090),
      targets: [...platform.ports].map(([job, port]) => ({ job, port })),
      scrapeIntervalSeconds: 1,
      output: { kind: 'console', prefix: '[prometheus]' },
    });
    writeDashboardIndex(prometheus.url.replace('127.0.0.1', 'localhost'), path.join(dataDir, 'prometheus', 'dashboards.html'));
  } catch (err) {
    // The platform is useful without it; say why and carry on.
    console.error(`Prometheus did not start: ${(err as Error).message}`);
  }
}

const base = platform.gatewayUrl.replace('127.0.0.1', 'localhost');
console.log(`
  The platform is up.
    API          ${base}/api/v1          (health: ${base}/health)
    Socket.IO    ${base}  path /socket.io  (auth: { token: <accessToken> })
    Metrics      ${[...platform.ports].map(([n, p]) => `${n} http://localhost:${p}/metrics`).join('\n                 ')}
    MongoDB      ${platform.mongoUrl}${platform.ferretdb ? ' (FerretDB)' : ''}
    Redis        ${platform.redisUrl}${prometheus ? `\n    Prometheus   ${prometheus.url.replace('127.0.0.1', 'localhost')}/graph  (scrape config: ${prometheus.configPath})\n    Dashboards   file://${path.join(dataDir, 'prometheus', 'dashboards.html')}  (every Grafana panel as a Prometheus graph)` : ''}
    Admin        ${process.env.ADMIN_EMAIL ?? DEV_ADMIN.email} / ${process.env.ADMIN_EMAIL ? '(ADMIN_PASSWORD)' : DEV_ADMIN.password}
  Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  await prometheus?.stop();
  await platform.stop();
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

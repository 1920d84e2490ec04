/**
 * `npm start`: the whole platform on this machine, no Docker. Starts Redis and
 * FerretDB on ports of their own (unless REDIS_URL / MONGO_URL point elsewhere),
 * every service, and the gateway on PORT (default 3000). Ctrl-C stops it all.
 */
import path from 'node:path';
import { DEV_ADMIN, ROOT, startPlatform } from './stack/platform.js';

const gatewayPort = Number(process.env.PORT ?? 3000);
const dataDir = process.env.DATA_DIR ?? path.join(ROOT, '.data');
const passThrough = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) => v !== undefined && /^(LOG_LEVEL|BCRYPT_ROUNDS|ADMIN_[A-Z]+|[A-Z_]+_LIMIT_[A-Z_]+|WORKER_[A-Z_]+)$/.test(k)),
) as Record<string, string>;

console.log(`starting the platform (data in ${dataDir})…`);
const platform = await startPlatform({
  dataDir,
  gatewayPort,
  mongoUrl: process.env.MONGO_URL,
  redisUrl: process.env.REDIS_URL,
  env: passThrough,
  output: (name) => ({ kind: 'console', prefix: `[${name}]` }),
});

const base = platform.gatewayUrl.replace('127.0.0.1', 'localhost');
console.log(`
  The platform is up.
    API          ${base}/api/v1          (health: ${base}/health)
    Socket.IO    ${base}  path /socket.io  (auth: { token: <accessToken> })
    Metrics      ${[...platform.ports].map(([n, p]) => `${n} http://localhost:${p}/metrics`).join('\n                 ')}
    MongoDB      ${platform.mongoUrl}${platform.ferretdb ? ' (FerretDB)' : ''}
    Redis        ${platform.redisUrl}
    Admin        ${process.env.ADMIN_EMAIL ?? DEV_ADMIN.email} / ${process.env.ADMIN_EMAIL ? '(ADMIN_PASSWORD)' : DEV_ADMIN.password}
  Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  await platform.stop();
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

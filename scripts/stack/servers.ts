import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, ManagedProcess, ROOT, waitFor, type OutputMode } from './processes.js';

export const FERRETDB_BIN = path.join(ROOT, '.tools/bin/ferretdb');

function tcpAnswers(port: number, probe?: { send: string; expect: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => {
      if (!probe) {
        socket.end();
        return resolve(true);
      }
      socket.write(probe.send);
    });
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString();
      // Replies may arrive in several chunks (AUTH's +OK, then PING's +PONG).
      if (!answer.includes(probe!.expect) && !answer.includes('-')) return;
      socket.end();
      resolve(answer.includes(probe!.expect));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface ServerHandle {
  process: ManagedProcess;
  port: number;
  url: string;
  /** Starts the same server again (same port, same data folder) and waits until it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * redis-server on its own port with append-only persistence in `dataDir`, behind a
 * password of its own. The password is what makes a reused port safe: a process of
 * an earlier stack that outlived its Redis (ioredis reconnects forever) would
 * otherwise join the next server the OS puts on that port and take its jobs —
 * with a different password it is refused instead (this once wedged a CI run).
 */
export async function startRedis(dataDir: string, port: number, output: OutputMode): Promise<ServerHandle> {
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dataDir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--requirepass',
    password,
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
  ];
  const proc = new ManagedProcess(`redis:${port}`, 'redis-server', args, process.env, output);
  const probe = { send: `AUTH ${password}\r\nPING\r\n`, expect: '+PONG' };
  const ready = () => waitFor(`redis-server on ${port}`, () => tcpAnswers(port, probe), 15_000, proc);
  proc.start();
  await ready();
  return {
    process: proc,
    port,
    url: `redis://:${password}@127.0.0.1:${port}`,
    async restart() {
      proc.start();
      await ready();
    },
    stop: () => proc.stop(),
  };
}

interface FerretDbCredentials {
  username: string;
  password: string;
  /** The database the user is created in (the URL's authSource); a new one per credentials, see below. */
  database: string;
}

/**
 * The user FerretDB's clients log in as, kept in the data folder (0600). FerretDB v1
 * creates the `--setup-*` user only while the setup database does not exist yet, so
 * every new set of credentials names a database of its own: a data folder from before
 * (or one whose credentials file was removed) gets a working user at the next start.
 */
function ferretDbCredentials(dataDir: string): FerretDbCredentials {
  const file = path.join(dataDir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as FerretDbCredentials;
  const credentials = { username: 'onsale', password: randomBytes(18).toString('base64url'), database: `auth_${randomBytes(4).toString('hex')}` };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/**
 * FerretDB v1 with SQLite storage in `dataDir` (MongoDB wire protocol on `port`), with
 * authentication: v1.24's SQLite handler has none of its own, so this uses FerretDB's
 * own user store (`--test-enable-new-auth`, SCRAM-SHA-256; flagged experimental) and a
 * user made at setup. A client without the credentials in `url` is refused every command.
 */
export async function startFerretDb(dataDir: string, port: number, output: OutputMode): Promise<ServerHandle> {
  if (!existsSync(FERRETDB_BIN)) throw new Error(`FerretDB is not built: run 'bash scripts/setup-tools.sh' (expected ${FERRETDB_BIN})`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const credentials = ferretDbCredentials(dataDir);
  const args = [
    '--test-enable-new-auth',
    `--setup-database=${credentials.database}`,
    `--setup-username=${credentials.username}`,
    '--handler=sqlite',
    // WAL without an fsync per commit (SQLite's NORMAL): a write FerretDB acknowledged survives
    // its crash or SIGKILL (the fault scenarios), an OS crash may lose the last moments, as
    // MongoDB's default write concern (journal every 100 ms) may. FULL fsynced every one of
    // the storm's small batches: its 202s waited on the disk (k6 storm p95 9.3/10.0 s vs 8.2/8.8).
    `--sqlite-url=file:${dataDir}/?_pragma=synchronous(normal)`,
    `--state-dir=${dataDir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ];
  // The password in the environment, not on the command line (any local user can read a command line).
  const env = { ...process.env, FERRETDB_SETUP_PASSWORD: credentials.password };
  const proc = new ManagedProcess(`ferretdb:${port}`, FERRETDB_BIN, args, env, output);
  const ready = () => waitFor(`FerretDB on ${port}`, () => tcpAnswers(port), 15_000, proc);
  proc.start();
  await ready();
  return {
    process: proc,
    port,
    url: `mongodb://${credentials.username}:${credentials.password}@127.0.0.1:${port}/onsale?authSource=${credentials.database}`,
    async restart() {
      proc.start();
      await ready();
    },
    stop: () => proc.stop(),
  };
}

/** Asks a server something over a short-lived connection; false while it does not answer (or answers otherwise). */
async function redisSays(url: string, ask: (redis: Redis) => Promise<boolean>): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await ask(redis);
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** One field of an INFO section (`role`, `master_link_status`, `run_id`, …). */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export interface RedisSentinelSet {
  /** The name the sentinel knows the primary by (the path of `url`). */
  masterName: string;
  /** The first primary (SIGKILL it to force a failover), its replica and the sentinel watching both. */
  primary: ServerHandle;
  replica: ServerHandle;
  sentinel: ServerHandle;
  /** `redis+sentinel://…` for REDIS_URL (see lib/redis.ts): connections follow whichever node is primary. */
  url: string;
  /** The primary and the replica share this password (clients use one for whichever is primary). */
  password: string;
  stop(): Promise<void>;
}

/**
 * A primary, one replica and one Sentinel (`redis-server <conf> --sentinel`, the same
 * binary), each a redis-server on a free loopback port with its folder under
 * `dataDir`, append-only like `startRedis`, and behind passwords of their own (the
 * sentinel's too). Each data node has a config file, so that the `CONFIG REWRITE`
 * Sentinel sends with a promotion works. `downAfterMs` is how long the primary must
 * be silent before the sentinel (quorum 1) fails over. Resolves once the replica is
 * in sync and the sentinel sees it as a healthy replica (a failover needs one).
 */
export async function startRedisSentinelSet(
  dataDir: string,
  output: (name: string) => OutputMode,
  opts: { masterName?: string; downAfterMs?: number } = {},
): Promise<RedisSentinelSet> {
  const masterName = opts.masterName ?? 'onsale';
  const password = randomBytes(18).toString('base64url');
  const sentinelPassword = randomBytes(18).toString('base64url');
  const [primaryPort, replicaPort, sentinelPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const started: ServerHandle[] = [];

  const startNode = async (name: string, port: number, args: string[], pass: string, ready: (url: string) => Promise<boolean>) => {
    const dir = path.join(dataDir, name);
    mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, `${name}.conf`);
    // Sentinel writes what it learns into its file; a data node's gets CONFIG REWRITE at a promotion.
    writeFileSync(conf, args.join('\n') + '\n');
    const sentinel = name === 'sentinel';
    const proc = new ManagedProcess(`redis-${name}:${port}`, 'redis-server', sentinel ? [conf, '--sentinel'] : [conf], process.env, output(`redis-${name}`));
    const url = `redis://:${pass}@127.0.0.1:${port}`;
    const probe = { send: `AUTH ${pass}\r\nPING\r\n`, expect: '+PONG' };
    const answers = async () => (await tcpAnswers(port, probe)) && (await ready(url));
    proc.start();
    const handle: ServerHandle = {
      process: proc,
      port,
      url,
      async restart() {
        proc.start();
        await waitFor(`redis ${name} on ${port}`, answers, 15_000, proc);
      },
      stop: () => proc.stop(),
    };
    started.push(handle);
    await waitFor(`redis ${name} on ${port}`, answers, 15_000, proc);
    return handle;
  };
  const dataNode = (name: string, port: number, extra: string[]) => [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${path.join(dataDir, name)}`,
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    `requirepass ${password}`,
    // The same password for the replication link; a promoted replica's replica uses it too.
    `masterauth ${password}`,
    'protected-mode yes',
    'daemonize no',
    // The first sync at once (the default waits 5 s for more replicas to share it).
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    ...extra,
  ];

  try {
    const primary = await startNode('primary', primaryPort, dataNode('primary', primaryPort, []), password, () => Promise.resolve(true));
    const replica = await startNode(
      'replica',
      replicaPort,
      dataNode('replica', replicaPort, [`replicaof 127.0.0.1 ${primaryPort}`, 'replica-read-only yes']),
      password,
      (url) => redisSays(url, async (r) => infoField(await r.info('replication'), 'master_link_status') === 'up'),
    );
    const sentinel = await startNode(
      'sentinel',
      sentinelPort,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${path.join(dataDir, 'sentinel')}`,
        'daemonize no',
        `requirepass ${sentinelPassword}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 1`,
        `sentinel auth-pass ${masterName} ${password}`,
        `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
      ],
      sentinelPassword,
      // Sentinel learns of the replica from the primary's INFO, and can fail over only to one it knows.
      (url) =>
        redisSays(url, async (r) => {
          const replicas = (await r.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
          return replicas.some((fields) => {
            const info = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) info.set(fields[i], fields[i + 1]);
            return info.get('port') === String(replicaPort) && info.get('flags') === 'slave' && info.get('master-link-status') === 'ok';
          });
        }),
    );
    return {
      masterName,
      primary,
      replica,
      sentinel,
      password,
      url: `redis+sentinel://:${password}@127.0.0.1:${sentinelPort}/${masterName}?sentinelPassword=${sentinelPassword}`,
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
        for (const s of started) s.process.closeLog();
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ManagedProcess, ROOT, waitFor, type OutputMode } from './processes.js';

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

/** FerretDB v1 with SQLite storage in `dataDir` (MongoDB wire protocol on `port`). */
export async function startFerretDb(dataDir: string, port: number, output: OutputMode): Promise<ServerHandle> {
  if (!existsSync(FERRETDB_BIN)) throw new Error(`FerretDB is not built: run 'bash scripts/setup-tools.sh' (expected ${FERRETDB_BIN})`);
  mkdirSync(dataDir, { recursive: true });
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/`,
    `--state-dir=${dataDir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ];
  const proc = new ManagedProcess(`ferretdb:${port}`, FERRETDB_BIN, args, process.env, output);
  const ready = () => waitFor(`FerretDB on ${port}`, () => tcpAnswers(port), 15_000, proc);
  proc.start();
  await ready();
  return {
    process: proc,
    port,
    url: `mongodb://127.0.0.1:${port}/onsale`,
    async restart() {
      proc.start();
      await ready();
    },
    stop: () => proc.stop(),
  };
}

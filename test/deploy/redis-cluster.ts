import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, ManagedProcess, waitFor, type OutputMode } from '../../scripts/stack/processes.js';

const run = promisify(execFile);

export interface RedisClusterHandle {
  ports: number[];
  /** The platform's REDIS_URL for this cluster (lib/redis.ts `redis+cluster://`). */
  url: string;
  nodes: ManagedProcess[];
  stop(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown';
}

/**
 * A real Redis Cluster of `masters` nodes without replicas on free loopback ports:
 * `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`.
 * Resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(dataDir: string, output: (name: string) => OutputMode, masters = 3): Promise<RedisClusterHandle> {
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  // The bus port is chosen too: the default (port + 10000) lands in the OS's ephemeral
  // range, where it was once taken and the node aborted at start.
  const busPorts = await Promise.all(ports.map(() => freePort()));
  const nodes = ports.map((port, i) => {
    const dir = path.join(dataDir, `redis-cluster-${port}`);
    mkdirSync(dir, { recursive: true });
    const args = [
      '--port',
      String(port),
      '--cluster-port',
      String(busPorts[i]),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '5000',
      '--appendonly',
      'no',
      '--save',
      '',
      '--daemonize',
      'no',
    ];
    return new ManagedProcess(`redis-cluster:${port}`, 'redis-server', args, process.env, output(`redis-cluster-${port}`)).start();
  });
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) n.closeLog();
  };
  try {
    await Promise.all(
      nodes.map((node, i) =>
        waitFor(
          `redis cluster node ${ports[i]}`,
          async () => (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(ports[i]), 'ping'])).stdout.includes('PONG'),
          15_000,
          node,
        ),
      ),
    );
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(ports.map((port) => waitFor(`cluster state ok on ${port}`, async () => (await clusterState(port)) === 'ok', 30_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  const [seed, ...others] = ports;
  return { ports, url: `redis+cluster://127.0.0.1:${seed}?nodes=${others.map((p) => `127.0.0.1:${p}`).join(',')}`, nodes, stop };
}

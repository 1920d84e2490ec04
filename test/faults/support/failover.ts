import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ROOT } from '../../../scripts/stack/processes.js';
import { infoField, startRedisSentinelSet, type RedisSentinelSet } from '../../../scripts/stack/servers.js';

/**
 * The steps of a Redis failover that loses writes, shared by the failover scenarios:
 * a primary, a replica and a sentinel; the replica partitioned from the primary while
 * clients still reach the primary; the primary killed; the replica promoted.
 */
export interface SentinelServers {
  servers: RedisSentinelSet;
  stop(): Promise<void>;
}

/** A primary, a replica and a sentinel in a temporary folder, their logs in test-output/<name>-servers. */
export async function startSentinelServers(name: string): Promise<SentinelServers> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `onsale-${name}-`));
  const logs = path.join(ROOT, 'test-output', `${name}-servers`);
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  const servers = await startRedisSentinelSet(dir, (server) => ({ kind: 'file', path: path.join(logs, `${server}.log`) }));
  return {
    servers,
    async stop() {
      await servers.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A direct connection to one node (not through Sentinel), for a test's own reads. */
export function node(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 50 });
  redis.on('error', () => undefined);
  return redis;
}

export async function pollUntil<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The replica stops receiving the primary's writes: its `masterauth` is changed and its
 * link to the primary cut, so it cannot sync again (a partition between the two while
 * clients still reach the primary). Returns once the primary has no replica.
 */
export async function partitionReplica(primary: Redis, replica: Redis): Promise<void> {
  await replica.config('SET', 'masterauth', `not-${randomUUID()}`);
  await replica.client('KILL', 'TYPE', 'master');
  await pollUntil(
    'the primary to have no replica',
    async () => (infoField(await primary.info('replication'), 'connected_slaves') === '0' ? true : undefined),
    10_000,
  );
}

/**
 * SIGKILLs the primary and waits until the sentinel names the replica primary and the
 * replica reports role:master. Returns the promoted node's replication INFO.
 */
export async function killPrimaryAndAwaitPromotion(servers: RedisSentinelSet): Promise<string> {
  const sentinel = node(servers.sentinel.url);
  try {
    await servers.primary.process.kill();
    await pollUntil(
      'the sentinel to name the replica primary',
      async () => {
        const addr = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', servers.masterName)) as [string, string] | null;
        return addr?.[1] === String(servers.replica.port) ? true : undefined;
      },
      30_000,
    );
  } finally {
    sentinel.disconnect();
  }
  // The sentinel closes every normal client at the promotion: a fresh connection.
  const promoted = node(servers.replica.url);
  try {
    return await pollUntil(
      'the replica to report itself primary',
      async () => {
        const replication = await promoted.info('replication');
        return infoField(replication, 'role') === 'master' ? replication : undefined;
      },
      10_000,
    );
  } finally {
    promoted.disconnect();
  }
}

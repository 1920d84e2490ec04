import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * `REDIS_URL` names either one Redis server (`redis://…`, `rediss://…`) or a Redis
 * Cluster (`redis+cluster://[user:password@]host:port[?nodes=host:port,host:port]`,
 * `rediss+cluster://…` for TLS). For a cluster, the host in the URL and any `nodes`
 * are seeds: the client discovers every other node (and every slot move) itself.
 */
const CLUSTER_SCHEME = /^rediss?\+cluster:$/;

export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(new URL(url).protocol);
}

function clusterSeeds(url: URL): ClusterNode[] {
  const seeds: ClusterNode[] = [{ host: url.hostname, port: Number(url.port || 6379) }];
  for (const node of (url.searchParams.get('nodes') ?? '').split(',').filter(Boolean)) {
    const at = node.lastIndexOf(':');
    seeds.push(at > 0 ? { host: node.slice(0, at), port: Number(node.slice(at + 1)) } : { host: node, port: 6379 });
  }
  return seeds;
}

/**
 * One client for either shape of deployment. A Cluster is returned typed as `Redis`
 * on purpose: ioredis gives both the same command surface (Lua `defineCommand`,
 * pipelines, MULTI, pub/sub, `duplicate()`), BullMQ and the Socket.IO adapter and
 * emitter accept both, and callers stay on one type. What differs is routing: a
 * keyed command goes to the node owning its slot, so every multi-key command,
 * script, pipeline and MULTI must keep its keys under one hash tag; keyless
 * commands go to any node (see `unwatch` below).
 */
export function openRedis(url: string, options: RedisOptions = {}): Redis {
  if (!isClusterUrl(url)) return new Redis(url, options);
  const parsed = new URL(url);
  const { retryStrategy, enableReadyCheck, ...nodeOptions } = options;
  const cluster = new Cluster(clusterSeeds(parsed), {
    redisOptions: {
      ...nodeOptions,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(parsed.protocol.startsWith('rediss') ? { tls: {} } : {}),
    },
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
  });
  return cluster as unknown as Redis;
}

/**
 * A Redis connection that retries forever with capped backoff. `blocking` connections
 * (BullMQ workers, queue events) must not fail commands after a number of retries.
 */
export function createRedis(url: string, logger: Logger, name: string, opts: { blocking?: boolean; subscriber?: boolean } = {}): Redis {
  const options: RedisOptions = {
    // A connection that subscribes may send nothing else: no name, no INFO ready check.
    ...(opts.subscriber ? {} : { connectionName: name }),
    maxRetriesPerRequest: opts.blocking || opts.subscriber ? null : 20,
    enableReadyCheck: !opts.subscriber,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  const redis = openRedis(url, options);
  let wasDown = false;
  redis.on('error', (err) => {
    if (!wasDown) logger.warn({ err: err.message, connection: name }, 'redis error');
    wasDown = true;
  });
  redis.on('ready', () => {
    if (wasDown) logger.info({ connection: name }, 'redis reconnected');
    wasDown = false;
  });
  return redis;
}

export const isCluster = (redis: Redis): boolean => (redis as unknown as { isCluster?: boolean }).isCluster === true;

/**
 * UNWATCH that also works on a Cluster: it has no key, so ioredis would send it to
 * a random node and leave the WATCH standing on the node that holds the key. On a
 * Cluster it goes to every master (harmless where nothing is watched); call it only
 * on a connection dedicated to WATCH/MULTI work.
 */
export async function unwatch(redis: Redis): Promise<void> {
  if (!isCluster(redis)) {
    await redis.unwatch();
    return;
  }
  await Promise.all((redis as unknown as Cluster).nodes('master').map((node) => node.unwatch()));
}

export async function pingRedis(redis: Redis) {
  await redis.ping();
}

import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * `REDIS_URL` names one Redis server (`redis://…`, `rediss://…`), a Redis Cluster
 * (`redis+cluster://[user:password@]host:port[?nodes=host:port,host:port]`,
 * `rediss+cluster://…` for TLS) or a primary watched by Redis Sentinel
 * (`redis+sentinel://[user:password@]host:port/<masterName>[?sentinels=host:port,host:port]`,
 * `rediss+sentinel://…` for TLS to the data nodes and the sentinels). For a cluster,
 * the host in the URL and any `nodes` are seeds: the client discovers every other
 * node (and every slot move) itself. For Sentinel, the host in the URL and any
 * `sentinels` are sentinels (port 26379 when left out), and the client asks them
 * where `<masterName>`'s primary is at every (re)connect; Redis drops every client
 * of a primary that dies or is demoted, so after a failover every connection
 * (BullMQ's, subscribers, `duplicate()`s) follows the new primary.
 * The user and password in the URL are the data nodes'; the sentinels' own, if
 * they have one, go in `sentinelUsername` / `sentinelPassword` query parameters.
 * `redis+sentinel://:pw@h1:26379,h2:26379/mymaster` (hosts separated by commas) is
 * understood here as well, but is not a parseable URL, so the `REDIS_URL` check of
 * lib/config.ts refuses it: name further sentinels in `sentinels`.
 */
const CLUSTER_SCHEME = /^rediss?\+cluster:$/;
const SENTINEL_URL = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)\/?(?:\?([^#]*))?$/;

export function isSentinelUrl(url: string): boolean {
  return /^rediss?\+sentinel:/.test(url);
}

export function isClusterUrl(url: string): boolean {
  return !isSentinelUrl(url) && CLUSTER_SCHEME.test(new URL(url).protocol);
}

function hostPort(node: string, defaultPort: number): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return at > 0 ? { host: node.slice(0, at), port: Number(node.slice(at + 1)) } : { host: node, port: defaultPort };
}

/** The ioredis options of a `redis+sentinel://` URL (see the top of this file). */
export function sentinelOptions(url: string): RedisOptions {
  const match = SENTINEL_URL.exec(url);
  if (!match) throw new Error('REDIS_URL: expected redis+sentinel://[user:password@]host:port[,host:port]/<masterName>[?sentinels=host:port,…]');
  const [, scheme, userInfo, hosts, name, query] = match;
  const params = new URLSearchParams(query ?? '');
  const sentinels = [...hosts.split(','), ...(params.get('sentinels') ?? '').split(',')].filter(Boolean).map((node) => hostPort(node, 26379));
  const colon = userInfo?.indexOf(':') ?? -1;
  const username = userInfo ? decodeURIComponent(colon >= 0 ? userInfo.slice(0, colon) : userInfo) : '';
  const password = userInfo && colon >= 0 ? decodeURIComponent(userInfo.slice(colon + 1)) : '';
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  const tls = scheme === 'rediss';
  return {
    sentinels,
    name: decodeURIComponent(name),
    role: 'master',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    ...(tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    // No `failoverDetector`: its disconnect on +switch-master can land while a
    // reconnect is asking a sentinel for the primary, and ioredis then ends the
    // connection for good ("Connection is closed." on every command; seen in the
    // failover scenario under load, and as redis/ioredis#1683). Without it a connection
    // asks the sentinels again whenever it drops, and Redis drops every client when a
    // primary is demoted (a manual failover) or dies.
  };
}

function clusterSeeds(url: URL): ClusterNode[] {
  const seeds: ClusterNode[] = [{ host: url.hostname, port: Number(url.port || 6379) }];
  for (const node of (url.searchParams.get('nodes') ?? '').split(',').filter(Boolean)) seeds.push(hostPort(node, 6379));
  return seeds;
}

/**
 * One client for every shape of deployment (a Sentinel-watched primary is a plain
 * `Redis` that asks the sentinels where to connect). A Cluster is returned typed as `Redis`
 * on purpose: ioredis gives both the same command surface (Lua `defineCommand`,
 * pipelines, MULTI, pub/sub, `duplicate()`), BullMQ and the Socket.IO adapter and
 * emitter accept both, and callers stay on one type. What differs is routing: a
 * keyed command goes to the node owning its slot, so every multi-key command,
 * script, pipeline and MULTI must keep its keys under one hash tag; keyless
 * commands go to any node (see `unwatch` below).
 */
export function openRedis(url: string, options: RedisOptions = {}): Redis {
  // Sentinel: `duplicate()` copies these options, so a duplicate follows failovers too.
  if (isSentinelUrl(url)) return new Redis({ ...options, ...sentinelOptions(url) });
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
export function createRedis(url: string, logger: Logger, name: string, opts: { blocking?: boolean; subscriber?: boolean; pipelined?: boolean } = {}): Redis {
  const options: RedisOptions = {
    // Hot-path connections: commands issued in the same tick go out in one write
    // (fewer syscalls in Node and in Redis per command). A BullMQ worker's connection
    // may be one: BullMQ sends its blocking waits on a duplicate that carries nothing
    // else. Never a subscriber, nor WATCH work (inventory.ts duplicates without it).
    ...(opts.pipelined && !opts.subscriber ? { enableAutoPipelining: true } : {}),
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

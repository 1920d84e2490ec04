import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

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
  const redis = new Redis(url, options);
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

export async function pingRedis(redis: Redis) {
  await redis.ping();
}

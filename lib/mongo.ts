import mongoose, { type Connection } from 'mongoose';
import type { Logger } from './logger.js';

mongoose.set('strictQuery', true);
// Plain objects only: never let a query filter contain operators taken from user input.
mongoose.set('sanitizeFilter', true);

/**
 * Connects to MongoDB (or FerretDB), retrying with backoff until `deadlineMs` passes.
 * `warmConnections`: opened at start and kept (minPoolSize), for the processes on the
 * booking path, so the first burst of an on-sale does not pay for opening and
 * authenticating them (SCRAM costs both ends milliseconds of CPU per connection).
 */
export async function connectMongo(url: string, logger: Logger, deadlineMs = 30_000, opts: { warmConnections?: number } = {}): Promise<Connection> {
  const until = Date.now() + deadlineMs;
  let delay = 200;
  for (;;) {
    try {
      const conn = await mongoose
        .createConnection(url, { serverSelectionTimeoutMS: 3000, maxPoolSize: 20, minPoolSize: opts.warmConnections ?? 0, autoIndex: false })
        .asPromise();
      conn.on('disconnected', () => logger.warn('mongo disconnected'));
      conn.on('reconnected', () => logger.info('mongo reconnected'));
      return conn;
    } catch (err) {
      if (Date.now() > until) throw err;
      logger.warn({ err: (err as Error).message, retryInMs: delay }, 'mongo not reachable yet');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

export async function pingMongo(conn: Connection) {
  await conn.db!.admin().ping();
}

export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

/**
 * Warm-up at start (issue 14). V8 compiles a function when it first runs and optimises
 * it only after it ran often, so without this the first on-sale burst after a start
 * pays for the compiling (1.5–2 × the CPU per booking of a warm burst, in every Node
 * process). Each service runs its own hot path here a few hundred times on synthetic
 * work before it listens: no fan, health check or scrape can reach it yet, and it
 * touches nothing anyone reads —
 *  - no record: nothing here has a MongoDB handle;
 *  - Redis: only read-only looks at a concert id no concert has (they create no key),
 *    and BullMQ queues under WARM_UP_PREFIX, one Cluster slot, obliterated at the end;
 *  - no metric: the HTTP requests' series are forgotten before the service listens, and
 *    no booking, decision or email counter is passed to any of this.
 * `WARM_UP=0` turns it off (to compare; docs/BENCHMARKS.md).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker, type Job } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from './auth-middleware.js';
import type { Logger } from './logger.js';

/** How many times each hot path runs: enough for V8 to optimise it (measured, docs/BENCHMARKS.md). */
export const WARM_UP_ROUNDS = 300;
/** Every warm-up Redis key starts with this hash tag; nothing else uses it and nothing scans for it. */
export const WARM_UP_PREFIX = '{warmup}';
/** A concert id no concert has (not an ObjectId): looks at its keys find nothing and create nothing. */
export const WARM_UP_CONCERT_ID = 'warm-up';
/** An ObjectId no record has (an ObjectId's first bytes are its creation time), for request bodies that must validate. */
export const WARM_UP_OBJECT_ID = '000000000000000000000000';

/** Runs a service's warm-up and logs how long it took (the start-up it costs). */
export async function runWarmUp(logger: Logger, warmUp: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await warmUp();
  logger.info({ ms: Math.round(performance.now() - started) }, 'warmed up');
}

/** Runs `task` `rounds` times, `inFlight` at a time, as a burst would. */
export async function repeat(rounds: number, task: (round: number) => unknown, inFlight = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, rounds) }, async () => {
      while (next < rounds) await task(next++);
    }),
  );
}

/**
 * An access token of the right shape signed by a key pair made here and thrown away:
 * verifying it against `publicKey` runs the same RS256 code as a fan's token, and the
 * service's own verifier refuses it (401) before any side effect.
 */
export function throwawayAccessToken(): { token: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const token = jwt.sign({ role: 'fan', email: 'warm-up@invalid' }, privateKey, {
    algorithm: 'RS256',
    subject: 'warm-up',
    issuer: ACCESS_TOKEN_ISSUER,
    audience: ACCESS_TOKEN_AUDIENCE,
    expiresIn: '5m',
  });
  return { token, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export interface WarmUpRequest {
  method: 'GET' | 'POST';
  path: string;
  token: string;
  body?: unknown;
}

/** Sends `request` `rounds` times through `app` on a loopback server of its own, closed afterwards. */
export async function warmUpHttp(app: Express, request: WarmUpRequest, rounds = WARM_UP_ROUNDS): Promise<void> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const { port } = server.address() as AddressInfo;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          port,
          host: '127.0.0.1',
          method: request.method,
          path: request.path,
          headers: { authorization: `Bearer ${request.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => res.resume().once('end', resolve),
      );
      req.once('error', reject);
      req.end(body);
    });
  try {
    await repeat(rounds, send, 16);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * BullMQ's producer and (with `process`) consumer code on a throwaway queue under
 * WARM_UP_PREFIX: `rounds` jobs added one by one, as the services add them, consumed
 * `concurrency` at a time, then every key of the queue deleted.
 */
export async function warmUpQueue<T>(
  connection: Redis,
  opts: { data: T; process?: (job: Job<T>) => Promise<unknown>; concurrency?: number; rounds?: number },
): Promise<void> {
  const rounds = opts.rounds ?? WARM_UP_ROUNDS;
  const name = `warm-up-${randomBytes(6).toString('hex')}`;
  const queue = new Queue(name, { connection, prefix: WARM_UP_PREFIX });
  let worker: Worker | undefined;
  try {
    await repeat(rounds, (i) => queue.add('warm-up', opts.data, { jobId: `w${i}`, removeOnComplete: true, removeOnFail: true }));
    if (opts.process) {
      let done = 0;
      let finished!: () => void;
      const allDone = new Promise<void>((resolve) => (finished = resolve));
      const process = opts.process;
      worker = new Worker<T>(
        name,
        async (job) => {
          try {
            return await process(job);
          } finally {
            if (++done === rounds) finished();
          }
        },
        { connection, prefix: WARM_UP_PREFIX, concurrency: opts.concurrency ?? 16 },
      );
      await allDone;
    }
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

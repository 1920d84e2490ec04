import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { createServiceApp, startHttpService } from './http-service.js';
import { createLogger } from './logger.js';

let stop: (() => Promise<void>) | undefined;
after(() => stop?.());

test('1,200 connections opened at the same instant are all accepted at once, none waits for a SYN retransmit', async () => {
  const logger = createLogger('backlog-test', 'warn');
  const service = await startHttpService({
    name: 'backlog-test',
    port: 0,
    host: '127.0.0.1',
    logger,
    serviceApp: createServiceApp('backlog-test', logger),
    health: {},
    shutdown: [],
    shutdownTimeoutMs: 5_000,
  });
  stop = service.stop;

  // Every connect() below is issued before this process next polls for I/O, so the service
  // accepts none of them until all are sent: what a storm does to a busy service. With node's
  // default listen backlog (511) the kernel drops the SYNs past it, and those clients retry
  // after 1 s (then 3 s, 7 s, 15 s: the k6 storm's p95 of 16 s behind HAProxy).
  const started = performance.now();
  const sockets: net.Socket[] = [];
  const connectedAfter = await Promise.all(
    Array.from(
      { length: 1200 },
      () =>
        new Promise<number>((resolve, reject) => {
          const socket = net.connect(service.port, '127.0.0.1', () => resolve(performance.now() - started));
          socket.once('error', reject);
          sockets.push(socket);
        }),
    ),
  );
  for (const socket of sockets) socket.destroy();
  const slowest = Math.max(...connectedAfter);
  const late = connectedAfter.filter((ms) => ms >= 1000).length;
  assert.equal(late, 0, `${late} of 1,200 connections waited for a SYN retransmit (slowest ${Math.round(slowest)} ms)`);
});

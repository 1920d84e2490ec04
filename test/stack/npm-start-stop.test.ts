/**
 * Stopping `npm start`: a terminal's Ctrl-C (SIGINT to the whole foreground process
 * group), SIGTERM to that group or to the dev process alone, and SIGTERM to the `npm`
 * process itself each stop every process of the tree within 5 s, in order (gateway,
 * services, workers, then the stores), without a service giving up on its shutdown.
 * A second start on a busy port exits at once, naming the port.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { freePort } from '../../scripts/stack/processes.js';
import { FERRETDB_BIN } from '../../scripts/stack/servers.js';
import { alive, answers, commandLine, descendants, startDevEntry, until, type DevEntry } from './dev-entry.js';

const STOP_WITHIN_MS = 5000;

/** Sends `signal` to `target` once the platform is up; returns how long until nothing of the tree is left. */
async function stopAndWatch(dev: DevEntry, signal: NodeJS.Signals, target: number) {
  await dev.up();
  const tree = descendants(dev.child.pid!);
  assert.ok(
    tree.some((pid) => commandLine(pid).includes('redis-server')),
    'Redis is part of the tree',
  );
  const started = Date.now();
  process.kill(target, signal);
  await until(
    'every process of the tree gone',
    () => [dev.child.pid!, ...tree].every((pid) => !alive(pid)),
    STOP_WITHIN_MS,
    () => `; left: ${[dev.child.pid!, ...tree].filter(alive).map(commandLine).join(' | ')}\n${dev.output().slice(-3000)}`,
  );
  assert.equal(await answers(`http://127.0.0.1:${dev.port}/health`), false, 'nothing answers on the gateway port');
  return Date.now() - started;
}

/** The order in which the processes said they got their stop signal. */
function assertStoppedInOrder(output: string) {
  const lines = output.split('\n');
  const at = (prefix: string, pattern: RegExp) => lines.findIndex((l) => l.startsWith(`[${prefix}]`) && pattern.test(l));
  const signalled = (name: string) => at(name, /"msg":"signal received"/);
  const gateway = signalled('gateway');
  const services = ['auth', 'concert', 'booking', 'notification', 'waiting-room'].map(signalled);
  const worker = signalled('booking-worker');
  const redis = at('redis', /Received SIG/);
  assert.ok(gateway >= 0 && services.every((i) => i >= 0) && worker >= 0 && redis >= 0, 'every process said it was stopping');
  assert.ok(
    services.every((i) => i > gateway),
    'the gateway stops before the services',
  );
  assert.ok(
    services.every((i) => i < worker),
    'the services stop before the workers',
  );
  assert.ok(worker < redis, 'Redis stops last');
}

const assertClean = (dev: DevEntry) => {
  assert.doesNotMatch(dev.output(), /shutdown timed out/);
  assert.match(dev.output(), /stopped\./);
};

test('Ctrl-C in a terminal (SIGINT to the whole process group) stops everything within 5 s, in order', { timeout: 180_000 }, async () => {
  const dev = await startDevEntry();
  try {
    // The test started it as a process group of its own, as a shell starts a foreground job.
    const ms = await stopAndWatch(dev, 'SIGINT', -dev.child.pid!);
    assertClean(dev);
    assertStoppedInOrder(dev.output());
    assert.ok(ms < STOP_WITHIN_MS);
  } finally {
    await dev.cleanUp();
  }
});

test('SIGTERM to the process group stops everything within 5 s, in order', { timeout: 180_000 }, async () => {
  const dev = await startDevEntry();
  try {
    await stopAndWatch(dev, 'SIGTERM', -dev.child.pid!);
    assertClean(dev);
    assertStoppedInOrder(dev.output());
  } finally {
    await dev.cleanUp();
  }
});

test('SIGTERM to the dev process alone stops everything within 5 s, in order', { timeout: 180_000 }, async () => {
  const dev = await startDevEntry();
  try {
    await stopAndWatch(dev, 'SIGTERM', dev.child.pid!);
    assertClean(dev);
    assertStoppedInOrder(dev.output());
  } finally {
    await dev.cleanUp();
  }
});

test('SIGTERM to the `npm start` process leaves no process serving', { timeout: 240_000 }, async (t) => {
  if (!existsSync(FERRETDB_BIN)) return t.skip('the setup script has not run');
  const dev = await startDevEntry({}, { npm: true });
  try {
    // Right after the fork /proc/<pid>/cmdline is the parent's, then empty during the exec, then npm's.
    await until('npm has started', () => /npm/.test(commandLine(dev.child.pid!)), 10_000);
    await stopAndWatch(dev, 'SIGTERM', dev.child.pid!);
  } finally {
    await dev.cleanUp();
  }
});

test('a second start on a busy port exits non-zero at once, naming the port, and starts nothing', { timeout: 60_000 }, async () => {
  // What holds the port answers like an earlier platform's gateway.
  const earlier = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","service":"gateway"}'));
  const port = await freePort();
  await new Promise<void>((resolve) => earlier.listen(port, '127.0.0.1', resolve));
  const dev = await startDevEntry({}, { port });
  try {
    const started = Date.now();
    let exit: { code: number | null } | undefined;
    void dev.exited.then((e) => (exit = e));
    await until(
      'the second start exits',
      () => exit !== undefined,
      20_000,
      () => `:\n${dev.output().slice(-2000)}`,
    );
    const code = exit?.code;
    assert.notEqual(code, 0, 'exits non-zero');
    assert.match(dev.output(), new RegExp(`port ${port}\\b.*in use`));
    assert.doesNotMatch(dev.output(), /The platform is up/);
    assert.doesNotMatch(dev.output(), /\[redis\]|\[auth\]/, 'nothing was started');
    assert.ok(Date.now() - started < 10_000);
  } finally {
    earlier.close();
    await dev.cleanUp();
  }
});

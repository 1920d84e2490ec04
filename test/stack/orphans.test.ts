import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts a stack (Redis, FerretDB, Auth) in a child process that prints its pids, and returns them. */
async function startStackInChild(dataDir: string) {
  const script = `
    import { startPlatform } from './scripts/stack/platform.ts';
    const p = await startPlatform({ dataDir: ${JSON.stringify(dataDir)}, output: () => ({ kind: 'ignore' }), only: ['auth'] });
    console.log(JSON.stringify({ auth: p.services.get('auth').child.pid, redis: p.redis.process.child.pid, ferretdb: p.ferretdb.process.child.pid, redisUrl: p.redisUrl }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`stack child exited with ${code}`)));
  });
  return { child, pids: JSON.parse(line) as { auth: number; redis: number; ferretdb: number; redisUrl: string } };
}

test('services of a stack whose parent was SIGKILLed shut down, and a reused Redis port refuses them', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-orphans-'));
  const { child, pids } = await startStackInChild(dataDir);
  try {
    assert.ok(alive(pids.auth), 'auth runs');
    // The servers are ours to clean up here: they do not watch their parent.
    child.kill('SIGKILL');
    const until = Date.now() + 15_000;
    while (alive(pids.auth) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pids.auth), false, 'auth outlived the stack that started it');

    // A client that knows only the port (no password) is refused by the stack's Redis.
    const url = new URL(pids.redisUrl);
    assert.ok(url.password, 'the stack Redis has a password');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), '127.0.0.1', () => socket.write('SET k v\r\n'));
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString());
      });
      socket.once('error', reject);
    });
    assert.match(answer, /^-NOAUTH/);
  } finally {
    for (const pid of [pids.auth, pids.redis, pids.ferretdb]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';

/**
 * scripts/setup-tools.sh on a machine that lacks every tool but the platform's
 * own: a PATH of a few real commands plus a stand-in apt-get that only records
 * what it was asked to install.
 */
function runSetup(args: string[]): string[] {
  const bin = mkdtempSync(path.join(tmpdir(), 'setup-tools-'));
  for (const tool of [
    'bash',
    'id',
    'mkdir',
    'grep',
    'sed',
    'awk',
    'dirname',
    'cat',
    'date',
    'mktemp',
    'cp',
    'chmod',
    'rm',
    'go',
    'redis-server',
    'redis-cli',
  ]) {
    const real = execFileSync('bash', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim();
    if (real) symlinkSync(real, path.join(bin, tool));
  }
  const log = path.join(bin, 'apt.log');
  writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> ${log}\n`);
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  const run = spawnSync('bash', [path.join(ROOT, 'scripts/setup-tools.sh'), ...args], { env: { PATH: bin, HOME: process.env.HOME }, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('install'))
    : [];
}

describe('scripts/setup-tools.sh', () => {
  test('starting the platform installs only what running needs, never the tools only tests use', () => {
    const installs = runSetup([]);
    assert.ok(
      installs.some((l) => l.includes('haproxy')),
      `npm start's setup did not install haproxy (the edge): ${installs.join('; ')}`,
    );
    for (const testOnly of ['prometheus', 'docker-compose', 'chromium']) {
      assert.ok(!installs.some((l) => l.includes(testOnly)), `npm start's setup installed ${testOnly}: ${installs.join('; ')}`);
    }
  });

  test('the test command installs the tools the tests use', () => {
    const installs = runSetup(['--for-tests']);
    for (const tool of ['prometheus', 'docker-compose', 'haproxy']) {
      assert.ok(
        installs.some((l) => l.includes(tool)),
        `--for-tests did not install ${tool} (missing from PATH): ${installs.join('; ')}`,
      );
    }
  });
});

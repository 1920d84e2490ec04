/**
 * `npm run load -- --help` prints the usage without building or starting anything, and
 * the flags work in any order. The runs here get a PATH without bash, k6 or any server:
 * the setup script (which builds k6) or a stack could not start even if it tried to.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../load/run.js';
import { ROOT } from '../../scripts/stack/processes.js';

function load(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const emptyBin = mkdtempSync(path.join(os.tmpdir(), 'onsale-no-tools-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'load/run.ts', ...args], {
      cwd: ROOT,
      env: { PATH: emptyBin, HOME: process.env.HOME, ONSALE_URL: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      rmSync(emptyBin, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

test('--help prints the usage and runs nothing, wherever it stands', { timeout: 60_000 }, async () => {
  for (const args of [['--help'], ['ramp', '--fans', '5', '--help'], ['-h', 'storm']]) {
    const { code, stdout, stderr } = await load(args);
    assert.equal(code, 0, `${args.join(' ')}: ${stderr}`);
    assert.match(stdout, /^usage: npm run load -- \[scenario\] \[--fans N\]/);
    assert.match(stdout, /storm, duplicates, ramp, journey/);
    assert.match(stdout, /ONSALE_URL/);
    assert.doesNotMatch(stdout + stderr, /setup:|\[load\]/, 'nothing was set up or run');
  }
});

test('a wrong command line exits 2 with the problem and the usage, before anything runs', { timeout: 60_000 }, async () => {
  for (const [args, problem] of [
    [['stampede'], /unknown scenario "stampede"/],
    [['--fans', 'many'], /--fans needs a whole number/],
    [['--fanz', '3'], /unknown option "--fanz"/],
  ] as const) {
    const { code, stderr } = await load([...args]);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, problem);
    assert.match(stderr, /usage: npm run load/);
  }
});

test('the flags work in any order', () => {
  const expected = { help: false, scenario: 'duplicates', fans: 200 };
  assert.deepEqual(parseArgs(['duplicates', '--fans', '200']), expected);
  assert.deepEqual(parseArgs(['--fans', '200', 'duplicates']), expected);
  assert.deepEqual(parseArgs(['--fans=200', 'duplicates']), expected);
  assert.deepEqual(parseArgs([]), { help: false, scenario: 'storm', fans: undefined });
  assert.deepEqual(parseArgs(['--fans', '20']), { help: false, scenario: 'storm', fans: 20 });
});

/**
 * `npm run seed` finds the platform where ONSALE_URL (or else PORT) says, adds its demo
 * concerts once however often it runs, and names the address it tried when nothing answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { freePort, ROOT } from '../../scripts/stack/processes.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform('seed');
});
after(() => platform?.stop());

function seed(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function concertNames() {
  const res = await platform.api.get<Array<{ name: string }>>('/api/v1/concerts?when=all&limit=100');
  assert.equal(res.status, 200);
  return res.body.map((c) => c.name).sort();
}

test('seeding twice adds each demo concert once (first through ONSALE_URL, then through PORT)', { timeout: 120_000 }, async () => {
  const first = await seed({ ONSALE_URL: platform.gatewayUrl });
  assert.equal(first.code, 0, first.output);
  const names = await concertNames();
  assert.deepEqual(names, ['Autumn Strings', 'Last-Minute Sessions', 'Stadium Night']);

  const second = await seed({ PORT: new URL(platform.gatewayUrl).port });
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /already there/);
  assert.deepEqual(await concertNames(), names, 'nothing added twice');
});

test('when nothing answers, the seed names the address it tried', { timeout: 60_000 }, async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const { code, output } = await seed({ ONSALE_URL: url });
  assert.equal(code, 1);
  assert.ok(output.includes(`cannot reach the platform at ${url}`), output);
});

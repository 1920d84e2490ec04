import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEV_ADMIN } from '../../scripts/stack/platform.js';
import { ROOT } from '../../scripts/stack/processes.js';
import { adminToken, createConcert } from '../support/fans.js';
import { ApiClient, type TestPlatform } from '../support/test-platform.js';
import { startDevEntry } from '../stack/dev-entry.js';

/** Every file git tracks or would track (the working tree as a clone of it would have it). */
const trackedFiles = () =>
  execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.startsWith('test-output/'));

const sources = () => trackedFiles().filter((f) => f.endsWith('.ts'));
const read = (file: string) => {
  try {
    return readFileSync(path.join(ROOT, file), 'utf8');
  } catch {
    return ''; // deleted in the working tree, not yet in git's index
  }
};
const importsOf = (file: string) => [...read(file).matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

describe('the layout tells the architecture', () => {
  test('lib/ is the kernel: it imports nothing from a component (services/, workers/, waiting-room/)', () => {
    const crossings: string[] = [];
    for (const file of sources().filter((f) => f.startsWith('lib/'))) {
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
        if (/^(services|workers|waiting-room)\//.test(target)) crossings.push(`${file} imports ${target}`);
      }
    }
    assert.deepEqual(crossings, []);
  });

  test("every Lua script's includes come from its own folder's includes/", () => {
    const strays: string[] = [];
    for (const file of trackedFiles().filter((f) => f.endsWith('.lua'))) {
      const owner = path.dirname(file).replace(/\/includes$/, '');
      for (const [, include] of read(file).matchAll(/^--- @include "([^"]+)"/gm)) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), include));
        if (path.dirname(target) !== `${owner}/includes`) strays.push(`${file} includes ${target}`);
      }
    }
    assert.deepEqual(strays, []);
  });

  test('file paths come from fileURLToPath, never from URL.pathname (which keeps %20 for a space)', () => {
    const offenders = sources().filter((f) => f !== 'test/layout/layout.test.ts' && /\.pathname\b/.test(read(f)) && /import\.meta\.url/.test(read(f)));
    assert.deepEqual(offenders, []);
  });

  test('a checkout whose path has a space starts, and books', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'onsale checkout with spaces-'));
    const checkout = path.join(parent, 'on sale');
    try {
      for (const file of trackedFiles()) {
        const from = path.join(ROOT, file);
        const to = path.join(checkout, file);
        mkdirSync(path.dirname(to), { recursive: true });
        try {
          cpSync(from, to);
        } catch {
          /* deleted in the working tree */
        }
      }
      // Installed dependencies and built tools are the machine's, not the checkout's.
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
      symlinkSync(path.join(ROOT, '.tools'), path.join(checkout, '.tools'));
      const dev = await startDevEntry({}, { cwd: checkout });
      try {
        await dev.up();
        const platform = { gatewayUrl: `http://127.0.0.1:${dev.port}`, api: new ApiClient(`http://127.0.0.1:${dev.port}`), admin: DEV_ADMIN } as TestPlatform;
        const admin = await adminToken(platform);
        const concert = await createConcert(platform, admin, { seatTypes: [{ name: 'Floor', capacity: 1 }] });
        const fan = await platform.api.post<{ accessToken: string }>('/api/v1/auth/register', {
          email: `space-${Date.now()}@example.com`,
          password: 'correct-horse-battery',
          name: 'Fan',
        });
        assert.equal(fan.status, 201);
        const booked = await platform.api.post<{ status: string }>(
          '/api/v1/bookings',
          { concertId: concert.id, seatTypeId: concert.seatTypes[0].id },
          fan.body.accessToken,
          { prefer: 'wait=20' },
        );
        assert.equal(booked.status, 201, JSON.stringify(booked.body));
        assert.equal(booked.body.status, 'confirmed');
      } finally {
        await dev.cleanUp();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

/**
 * Under `npm start` the stores trust only their owner: the data folder and everything in
 * it (SQLite files, Redis's append-only file, keys, secrets) is readable by this user
 * alone, FerretDB refuses a client without the stack's credentials, and the start banner
 * does not print the Redis password.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { startDevEntry, type DevEntry } from '../stack/dev-entry.js';

let dev: DevEntry;

before(async () => {
  dev = await startDevEntry();
  await dev.up();
});
after(() => dev?.cleanUp());

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

test('the data folder and every file in it are readable by their owner only', () => {
  const entries = [dev.dataDir, ...walk(dev.dataDir)];
  const names = entries.map((e) => path.relative(dev.dataDir, e));
  for (const expected of ['redis', 'ferretdb', 'jwt-private.pem']) assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
  assert.ok(
    names.some((n) => n.endsWith('.sqlite')),
    'the SQLite files are there',
  );
  const open = entries
    .filter((e) => (statSync(e).mode & 0o077) !== 0)
    .map((e) => `${path.relative(dev.dataDir, e) || '.'} ${(statSync(e).mode & 0o777).toString(8)}`);
  assert.deepEqual(open, [], 'group/other permissions');
});

test('FerretDB refuses a client without credentials', async () => {
  const port = /MongoDB\s+mongodb:\/\/[^\s]*?127\.0\.0\.1:(\d+)/.exec(dev.output())?.[1];
  assert.ok(port, `the banner names MongoDB's port:\n${dev.output().slice(-2000)}`);
  const anonymous = new MongoClient(`mongodb://127.0.0.1:${port}/onsale`, { serverSelectionTimeoutMS: 5000 });
  try {
    await assert.rejects(() => anonymous.db('onsale').collection('users').findOne({}), /requires authentication|Unauthorized|auth/i);
  } finally {
    await anonymous.close();
  }
});

test('the start banner does not print the Redis password', () => {
  const banner = dev.output().slice(dev.output().indexOf('The platform is up'));
  const redisLine = banner.split('\n').find((l) => l.trim().startsWith('Redis')) ?? '';
  assert.ok(redisLine.includes('127.0.0.1'), `the banner names Redis: ${redisLine}`);
  assert.doesNotMatch(redisLine, /redis:\/\/:[^@*\s]{8,}@/, 'no password in the Redis URL');
});

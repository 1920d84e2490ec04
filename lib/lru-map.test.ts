import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruMap } from './lru-map.js';

test('an LruMap keeps at most its cap, dropping the least recently used; a read counts as a use', () => {
  const map = new LruMap<string, number>(2);
  map.set('a', 1);
  map.set('b', 2);
  assert.equal(map.get('a'), 1); // a is now the most recently used
  map.set('c', 3);
  assert.equal(map.size, 2);
  assert.equal(map.get('b'), undefined, 'b was the least recently used');
  assert.equal(map.get('a'), 1);
  assert.equal(map.get('c'), 3);
  map.delete('a');
  assert.equal(map.size, 1);
});

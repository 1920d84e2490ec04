import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chiSquareCritical, chiSquareIndependence, chiSquarePValue, kendallTauDistance } from '../../bench/fairness-stats.js';

test('Kendall tau distance counts discordant pairs and skips ties', () => {
  assert.deepEqual(kendallTauDistance([1, 2, 3, 4], [10, 20, 30, 40]), { discordant: 0, comparable: 6 });
  assert.deepEqual(kendallTauDistance([1, 2, 3, 4], [40, 30, 20, 10]), { discordant: 6, comparable: 6 });
  // One swap of neighbours (2 <-> 3) is one discordant pair.
  assert.deepEqual(kendallTauDistance([1, 2, 3, 4], [1, 3, 2, 4]), { discordant: 1, comparable: 6 });
  // Fans of one join batch (tie in a) have no order to keep.
  assert.deepEqual(kendallTauDistance([1, 1, 2], [2, 1, 3]), { discordant: 0, comparable: 2 });
});

test('chi-square of independence, its p-value and critical value', () => {
  assert.deepEqual(
    chiSquareIndependence([
      [10, 10],
      [10, 10],
    ]),
    { statistic: 0, df: 1 },
  );
  assert.equal(
    chiSquareIndependence([
      [20, 0],
      [0, 20],
    ]).statistic,
    40,
  );
  // Tables: X²(0.99; 81) = 113.51, X²(0.99; 99) = 134.64; the median of X²(81) is ~80.3.
  assert.ok(Math.abs(chiSquareCritical(81) - 113.51) < 0.3);
  assert.ok(Math.abs(chiSquareCritical(99) - 134.64) < 0.3);
  assert.ok(Math.abs(chiSquarePValue(113.51, 81) - 0.01) < 0.001);
  assert.ok(Math.abs(chiSquarePValue(80.34, 81) - 0.5) < 0.01);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAliveShareMeter } from '../alive-share-meter.js';

describe('the share of positions still alive at the front, behind ETAs', () => {
  test('is 1 while every position reached holds a fan, and the first tick seen is only a baseline', () => {
    const meter = createAliveShareMeter();
    // A process taking over a line at serving 5,000 knows nothing of the positions before it.
    assert.equal(meter.record(5000, 1), 1);
    let share = 0;
    for (let serving = 5010; serving <= 6000; serving += 10) share = meter.record(serving, 10);
    assert.equal(share, 1);
  });

  test('falls to the share admitted when 3 positions in 10 are gaps, and recovers when they stop', () => {
    const meter = createAliveShareMeter();
    meter.record(0, 0);
    let share = 0;
    // Each tick passes 10 positions and admits the 7 fans still there.
    for (let serving = 10; serving <= 2000; serving += 10) share = meter.record(serving, 7);
    assert.ok(Math.abs(share - 0.7) < 0.01, String(share));
    for (let serving = 2010; serving <= 4000; serving += 10) share = meter.record(serving, 10);
    assert.ok(share > 0.99, String(share));
  });

  test('a tick that passes no position (empty or paused line) changes nothing, and nearly empty lines have a floor', () => {
    const meter = createAliveShareMeter();
    meter.record(0, 0);
    for (let serving = 10; serving <= 2000; serving += 10) meter.record(serving, 5);
    const before = meter.current();
    for (let i = 0; i < 100; i++) meter.record(2000, 0);
    assert.equal(meter.current(), before);
    for (let serving = 2100; serving <= 50_000; serving += 100) meter.record(serving, 1);
    assert.equal(meter.current(), 0.05);
  });
});

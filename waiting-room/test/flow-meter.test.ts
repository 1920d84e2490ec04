import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFlowMeter } from '../flow-meter.js';

describe('the measured admission rate behind ETAs', () => {
  test('stays at the configured rate while the line flows at that rate', () => {
    const meter = createFlowMeter(5, 0);
    let rate = 0;
    for (let t = 200; t <= 20_000; t += 200) rate = meter.record(t, 1, true);
    assert.ok(Math.abs(rate - 5) < 0.01, String(rate));
  });

  test('falls to the real throughput when a cap holds the line back, and recovers when it lifts', () => {
    const meter = createFlowMeter(50, 0);
    let rate = 0;
    // maxActive binds: one fan every second although 50/s are allowed.
    for (let t = 200; t <= 30_000; t += 200) rate = meter.record(t, t % 1000 === 0 ? 1 : 0, true);
    assert.ok(rate > 0.9 && rate < 1.5, `capped: ${rate}`);
    for (let t = 30_200; t <= 60_000; t += 200) rate = meter.record(t, 10, true);
    assert.ok(rate > 49, `recovered: ${rate}`);
  });

  test('an empty line does not drag the rate down, and a stalled line has a floor', () => {
    const meter = createFlowMeter(10, 0);
    for (let t = 200; t <= 30_000; t += 200) meter.record(t, 0, false);
    assert.equal(meter.current(), 10);
    for (let t = 30_200; t <= 90_000; t += 200) meter.record(t, 0, true);
    assert.equal(meter.current(), 10 / 50);
  });
});

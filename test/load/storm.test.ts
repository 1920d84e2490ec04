import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runLoad } from '../../load/run.js';
import { ROOT } from '../../scripts/stack/processes.js';

test('k6 storm: 1,000 fans at the same instant pass the thresholds and the invariant verifier', async () => {
  // Seeding 1,000 fans is one bcrypt hash each, before the measured phase: at the suite's cost (4) it takes seconds, not a minute.
  const result = await runLoad({
    scenario: 'storm',
    fans: 1000,
    reportDir: path.join(ROOT, 'test-output/load-storm'),
    quiet: true,
    p95TargetMs: 10_000,
    stackEnv: { BCRYPT_ROUNDS: '4' },
  });
  assert.deepEqual(result.problems, []);
  assert.equal(result.k6Passed, true, `k6 thresholds failed: ${JSON.stringify(result.summary)}`);
  assert.equal(result.summary.decided, 1000);
  assert.equal(result.summary.confirmed, 600);
  assert.equal(result.summary.missing, 0);
  assert.ok(existsSync(result.reportHtml), 'the HTML report was written');
});

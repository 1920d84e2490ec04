import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';

const promtool = (...args: string[]) => execFileSync('promtool', args, { cwd: path.join(ROOT, 'prometheus'), encoding: 'utf8', stdio: 'pipe' });

describe('the alert rules shipped in prometheus/alerts.yml', () => {
  test('promtool checks them, and its unit tests (prometheus/alerts.test.yml) fire each alert on the series that should raise it', () => {
    assert.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: \d+ rules found/);
    assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  });

  test('every alert has a unit test, and Compose and the local Prometheus load the rules', () => {
    const alerts = [...readFileSync(path.join(ROOT, 'prometheus/alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tested = readFileSync(path.join(ROOT, 'prometheus/alerts.test.yml'), 'utf8');
    assert.deepEqual(
      alerts.filter((a) => !tested.includes(`alertname: ${a}`)),
      [],
      'alerts without a promtool test',
    );
    assert.match(readFileSync(path.join(ROOT, 'prometheus/prometheus.yml'), 'utf8'), /rule_files: \[alerts\.yml\]/);
    assert.match(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), /\.\/prometheus\/alerts\.yml:\/etc\/prometheus\/alerts\.yml:ro/);
  });
});

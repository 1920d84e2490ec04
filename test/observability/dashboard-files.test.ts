import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../../scripts/stack/processes.js';
import { loadDashboards } from './support/dashboards.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: Array<{ color: string; value: number | null }> } } };
  targets?: Array<{ expr?: string; datasource?: { uid: string } }>;
}

const dashboards = loadDashboards() as unknown as Array<{
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
}>;

describe('the dashboard files Grafana provisions', () => {
  test('there are an On-sale and a Services dashboard with distinct uids', () => {
    assert.deepEqual(dashboards.map((d) => d.title).sort(), ['On-sale', 'Services']);
    assert.equal(new Set(dashboards.map((d) => d.uid)).size, dashboards.length);
  });

  for (const dashboard of dashboards) {
    test(`${dashboard.title}: every panel has a description, a unit, thresholds and queries on the chosen data source`, () => {
      const problems: string[] = [];
      for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
        const name = `${panel.title} (#${panel.id})`;
        if (!panel.description || panel.description.length < 30) problems.push(`${name}: no real description`);
        if (!panel.fieldConfig?.defaults?.unit) problems.push(`${name}: no unit`);
        const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
        if (!steps.length || steps[0].value !== null) problems.push(`${name}: thresholds must start with a base step`);
        if (steps.some((s, i) => i > 0 && !(typeof s.value === 'number' && s.value > (steps[i - 1].value ?? -Infinity))))
          problems.push(`${name}: thresholds not increasing`);
        if (!panel.targets?.length || panel.targets.some((t) => !t.expr)) problems.push(`${name}: no PromQL`);
        // A provisioned dashboard must not pin a data source uid that only exists on one Grafana.
        if (panel.datasource?.uid !== '${datasource}' || panel.targets?.some((t) => t.datasource?.uid !== '${datasource}'))
          problems.push(`${name}: data source is not $datasource`);
      }
      assert.deepEqual(problems, []);
      assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
    });

    test(`${dashboard.title}: panel ids are unique and no two panels overlap on the grid`, () => {
      const ids = dashboard.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      const cells = new Map<string, string>();
      for (const p of dashboard.panels) {
        assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} is wider than the grid`);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            const other = cells.get(`${x},${y}`);
            assert.equal(other, undefined, `${p.title} overlaps ${other}`);
            cells.set(`${x},${y}`, p.title);
          }
      }
    });
  }

  test('the provider loads the dashboards folder Compose mounts', () => {
    const provider = readFileSync(path.join(ROOT, 'grafana/provisioning/dashboards/dashboards.yml'), 'utf8');
    assert.match(provider, /apiVersion: 1/);
    assert.match(provider, /path: \/var\/lib\/grafana\/dashboards/);
  });
});

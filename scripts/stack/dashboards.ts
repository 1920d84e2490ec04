import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes.js';

/** Reading the Grafana dashboards in grafana/dashboards/ as plain PromQL, for tests and the local Prometheus. */
export const DASHBOARD_DIR = path.join(ROOT, 'grafana/dashboards');

/** One PromQL expression a dashboard evaluates: a panel target or a variable's query. */
export interface DashboardQuery {
  dashboard: string;
  where: string;
  expr: string;
}

interface Panel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: Panel[];
}

export interface Dashboard {
  title: string;
  panels: Panel[];
  templating?: { list: Array<{ name: string; type: string; query?: string | { query?: string }; allValue?: string }> };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(DASHBOARD_DIR, f), 'utf8')) as Dashboard);
}

/** Every panel target (rows' nested panels included), with Grafana's variables replaced by what "All" means. */
export function panelQueries(dashboard: Dashboard, rateWindow = '1m'): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const t of panel.targets ?? [])
        if (t.expr) out.push({ dashboard: dashboard.title, where: `${panel.title} [${t.refId}]`, expr: concrete(dashboard, t.expr, rateWindow) });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Query variables' PromQL (`label_values(metric, label)` is shown as the metric selector it reads, `query_result(q)` as q). */
export function variableQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const labelValues = /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(q.trim());
    const queryResult = /^query_result\((.+)\)$/.exec(q.trim());
    out.push({ dashboard: dashboard.title, where: `variable $${v.name}`, expr: labelValues ? labelValues[1] : queryResult ? queryResult[1] : q });
  }
  return out;
}

/**
 * The expression as Grafana would send it with every variable on "All" and a
 * fixed rate window (Grafana's $__rate_interval is at least four scrapes).
 */
export function concrete(dashboard: Dashboard, expr: string, rateWindow = '1m'): string {
  const allValues = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v.allValue ?? '.*']));
  return expr.replace(/\$(__rate_interval|__interval|__range)\b/g, rateWindow).replace(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/g, (m, name: string) => {
    const value = allValues.get(name);
    if (value === undefined) throw new Error(`unknown dashboard variable ${m} in ${expr}`);
    return value;
  });
}

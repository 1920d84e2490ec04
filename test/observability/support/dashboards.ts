export { concrete, loadDashboards, panelQueries, variableQueries, type DashboardQuery } from '../../../scripts/stack/dashboards.js';

const FUNCTION_OR_KEYWORD = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects. Strings, label matchers, grouping
 * clauses and range windows are cut out first; what is left that is neither a
 * function call, a keyword nor a number is a metric name.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2]) continue;
    if (FUNCTION_OR_KEYWORD.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names];
}

/** Sample names in a Prometheus text exposition (histograms appear as their _bucket/_sum/_count). */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** Series of one metric in an exposition: its distinct label sets. */
export function seriesOf(exposition: string, sampleName: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line.startsWith(`${sampleName}{`) || line.startsWith(`${sampleName} `))
    .map((line) => line.slice(0, line.lastIndexOf(' ')));
}

/** Statistics for bench/waiting-room-fairness.ts (kept apart so a cheap test can check them). */

/**
 * Kendall tau distance: pairs ranked one way by `a` and the other way by `b`.
 * Pairs tied in either ranking are not counted (fans who joined in one batch,
 * or were admitted in one tick, have no order to keep). O(n²): fine for 10,000.
 */
export function kendallTauDistance(a: number[], b: number[]): { discordant: number; comparable: number } {
  let discordant = 0;
  let comparable = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = i + 1; j < a.length; j++) {
      const da = a[i] - a[j];
      const db = b[i] - b[j];
      if (da === 0 || db === 0) continue;
      comparable++;
      if (da > 0 !== db > 0) discordant++;
    }
  return { discordant, comparable };
}

/** Chi-square statistic of a contingency table against independence of rows and columns. */
export function chiSquareIndependence(table: number[][]): { statistic: number; df: number } {
  const rows = table.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = table[0].map((_, j) => table.reduce((s, r) => s + r[j], 0));
  const total = rows.reduce((s, v) => s + v, 0);
  let statistic = 0;
  table.forEach((r, i) =>
    r.forEach((observed, j) => {
      const expected = (rows[i] * cols[j]) / total;
      if (expected > 0) statistic += (observed - expected) ** 2 / expected;
    }),
  );
  return { statistic, df: (rows.length - 1) * (cols.length - 1) };
}

/** Standard normal upper tail (Abramowitz–Stegun 26.2.17, error < 7.5e-8). */
function normalUpperTail(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return z >= 0 ? tail : 1 - tail;
}

/** P(X² ≥ x) for `df` degrees of freedom, by the Wilson–Hilferty cube-root approximation (good for df ≥ 10). */
export function chiSquarePValue(x: number, df: number): number {
  const v = 2 / (9 * df);
  return normalUpperTail((Math.cbrt(x / df) - (1 - v)) / Math.sqrt(v));
}

/** The value X² exceeds with probability `alpha`, Wilson–Hilferty again (z of 0.01 is 2.3263). */
export function chiSquareCritical(df: number, z = 2.3263): number {
  const v = 2 / (9 * df);
  return df * (1 - v + z * Math.sqrt(v)) ** 3;
}

export function quantile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];
}

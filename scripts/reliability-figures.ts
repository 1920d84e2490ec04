/**
 * Prints the figures the fault and security tests wrote to
 * test-output/reliability/*.json as the Markdown tables of docs/RELIABILITY.md:
 *   npm test   (or npm run test:faults), then   npm run reliability:figures
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './stack/processes.js';

const dir = path.join(ROOT, 'test-output/reliability');
if (!existsSync(dir)) {
  console.error(`no figures in ${dir}: run npm test (or npm run test:faults) first`);
  process.exit(1);
}
/** One test's figures, as it wrote them. */
type Figures = Record<string, unknown> & {
  rejected?: Record<string, number>;
  fault?: string;
  faultWindow?: { details?: Record<string, unknown> };
};
const reports = new Map<string, Figures>(
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Figures]),
);

const cell = (c: unknown): string => {
  if (c === undefined || c === null) return '–';
  if (typeof c === 'string') return c;
  if (typeof c === 'number' || typeof c === 'boolean') return `${c}`;
  return JSON.stringify(c);
};
const row = (cells: unknown[]) => `| ${cells.map(cell).join(' | ')} |`;
const rejected = (r: Record<string, number> = {}) =>
  Object.entries(r)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');

console.log('### Faults (each during a 1,000-fan storm)\n');
console.log(
  row([
    'scenario',
    'requests',
    'answered',
    'confirmed',
    'rejected',
    'lost',
    'duplicates',
    'confirmed without record',
    'recover ms',
    'last answer after fault ms',
    'duration ms',
    'invariants',
  ]),
);
console.log(row(Array(12).fill('---')));
for (const [name, r] of reports) {
  if (!('scenario' in r)) continue;
  console.log(
    row([
      name,
      r.requests,
      r.answered,
      r.confirmed,
      rejected(r.rejected),
      r.lost,
      r.duplicates,
      r.confirmedWithoutRecord,
      r.recoverMs,
      r.lastAnswerAfterFaultMs,
      r.durationMs,
      r.invariants,
    ]),
  );
}

console.log('\n### Scenario details\n');
for (const [name, r] of reports) {
  if (!('scenario' in r)) continue;
  const extra = Object.fromEntries(
    Object.entries(r).filter(
      ([k]) => !['scenario', 'fault', 'definitions', 'rejected', 'seats', 'invariants', 'restReads'].includes(k) && typeof r[k] !== 'object',
    ),
  );
  console.log(`- **${name}**: ${r.fault ?? ''}. ${JSON.stringify({ ...r.faultWindow?.details, ...extra })}`);
}

console.log('\n### Abuse and access\n');
const LONG_LISTS = new Set(['writeCheckExclusions', 'exceptions', 'refusals', 'at', 'suite', 'matrix']);
for (const [name, r] of reports) {
  if ('scenario' in r) continue;
  // The long lists (every refusal, the whole matrix) stay in the JSON files.
  const figures = Object.fromEntries(Object.entries(r).filter(([k]) => !LONG_LISTS.has(k)));
  console.log(`- **${name}**: \`${JSON.stringify(figures)}\``);
}

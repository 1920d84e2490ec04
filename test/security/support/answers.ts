import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../../../lib/errors.js';
import { ROOT } from '../../../scripts/stack/processes.js';
import type { RawResponse } from './raw-http.js';

/** What must never reach a client: stack frames, file paths, driver, validator and runtime internals. */
const LEAKS: Array<[string, RegExp]> = [
  ['stack frame', /\bat [^\s"]+ \(?[^\s"]*:\d+:\d+\)?/],
  ['file path', /(?:\/(?:work|home|usr|tmp|app|opt|root)\/|node_modules|[\w-]+\.(?:ts|js|mjs|cjs):\d+)/],
  ['MongoDB or mongoose internals', /mongo(?:ose|server|network)|\bBSON|E11000|CastError|ObjectId\(|\$__|buffering timed out/i],
  ['zod internals', /ZodError|"_def"|"invalid_type"|"too_small"|"too_big"|"unrecognized_keys"|"custom"/],
  [
    'runtime error',
    /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|URIError)\b|Cannot read propert|is not a function|undefined is not|Maximum call stack/,
  ],
  ['connection or Redis internals', /\bECONN\w+|\bEPIPE\b|WRONGTYPE|NOSCRIPT|\bERR\b|ioredis/],
  ['prototype pollution marker', /"polluted"\s*:\s*true/],
];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The leaks found in a response's body (empty when clean). */
export function leaksIn(text: string): string[] {
  return LEAKS.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}

/**
 * Problems with an error answer: the status, the public error shape
 * `{error: {code, message, details?}}` with a registered code whose status is
 * the one sent, the expected code and details path, no leaks. Empty when right.
 */
export function errorAnswerProblems(res: RawResponse, expect: { status: number; code?: string; detailsPath?: string }): string[] {
  const problems: string[] = [];
  const snippet = res.text.length > 300 ? `${res.text.slice(0, 300)}…` : res.text;
  if (res.status !== expect.status) problems.push(`status ${res.status}, expected ${expect.status}: ${snippet}`);
  if (res.headers['x-powered-by'] !== undefined) problems.push('X-Powered-By is set');
  const body = res.json;
  if (!/^application\/json/.test(String(res.headers['content-type'] ?? ''))) problems.push(`Content-Type ${res.headers['content-type']}, not JSON: ${snippet}`);
  else if (!isRecord(body) || Object.keys(body).join() !== 'error' || !isRecord(body.error)) problems.push(`not the public error shape: ${snippet}`);
  else {
    const { code, message, details } = body.error;
    const extra = Object.keys(body.error).filter((k) => !['code', 'message', 'details'].includes(k));
    if (extra.length) problems.push(`error has extra keys ${extra.join(', ')}`);
    if (typeof message !== 'string' || !message) problems.push('error.message is not a string');
    const registered = ERROR_CODES[code as keyof typeof ERROR_CODES];
    if (!registered) problems.push(`error.code ${JSON.stringify(code)} is not in lib/errors.ts`);
    else if (registered.status !== res.status) problems.push(`error.code ${String(code)} belongs with ${registered.status}, sent with ${res.status}`);
    if (expect.code && code !== expect.code) problems.push(`error.code ${String(code)}, expected ${expect.code}: ${snippet}`);
    if (expect.detailsPath) {
      const paths = Array.isArray(details) ? details.map((d: { path?: unknown }) => String(d?.path)) : [];
      if (!paths.some((p) => p === expect.detailsPath || p.startsWith(`${expect.detailsPath}.`))) {
        problems.push(`details do not name ${expect.detailsPath}: ${JSON.stringify(details)?.slice(0, 300)}`);
      }
    }
  }
  for (const leak of leaksIn(res.text)) problems.push(`leaks ${leak}: ${snippet}`);
  return problems;
}

/** Writes a suite's figures for docs/RELIABILITY.md and prints them on one line. */
export function writeFigures(name: string, figures: Record<string, unknown>) {
  const dir = path.join(ROOT, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ suite: name, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
  const scalars = Object.entries(figures).filter(
    (entry): entry is [string, number | string | boolean] => typeof entry[1] === 'number' || typeof entry[1] === 'string' || typeof entry[1] === 'boolean',
  );
  console.log(`${name}: ${scalars.map(([k, v]) => `${k}=${v}`).join(' ')} (${path.relative(ROOT, file)})`);
}

/** GET /health of every process; the names of those not answering 200. */
export async function unhealthyServices(urls: Map<string, string>): Promise<string[]> {
  const results = await Promise.all(
    [...urls].map(async ([name, url]) => {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
        return res.status === 200 ? undefined : `${name}: ${res.status} ${await res.text()}`;
      } catch (err) {
        return `${name}: ${(err as Error).message}`;
      }
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}

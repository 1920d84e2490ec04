import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../../scripts/stack/processes.js';
import { ERROR_CODES, type ErrorCode } from '../../../lib/errors.js';

const SOURCE_DIRS = ['lib', 'services', 'workers', 'waiting-room'];
// The registry itself and the documentation (the kernel's OpenAPI helpers, each component's
// *.openapi.ts and the gateway's assembly of them) only name codes; they produce none.
const NOT_PRODUCERS = [path.join('lib', 'errors.ts'), path.join('lib', 'openapi') + path.sep, path.join('services', 'gateway', 'openapi-document.ts')];
const isDocumentation = (file: string) => file.endsWith('.openapi.ts');

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'test' && entry.name !== 'node_modules') walk(full);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir));
  return files.filter((f) => !isDocumentation(f) && !NOT_PRODUCERS.some((skip) => path.relative(ROOT, f).startsWith(skip)));
}

/**
 * Error codes the code base can answer with, and where: a code counts when it is
 * thrown (`new AppError('<code>'`, `errorBody('<code>'`) or written as a quoted
 * literal in a module that maps values to `ErrorCode` (e.g. a reason → code table).
 */
export function producedErrorCodes(): Map<ErrorCode, string[]> {
  const known = new Set(Object.keys(ERROR_CODES));
  const produced = new Map<ErrorCode, string[]>();
  const note = (code: string, file: string) => {
    if (!known.has(code)) return;
    const where = path.relative(ROOT, file);
    produced.set(code as ErrorCode, [...new Set([...(produced.get(code as ErrorCode) ?? []), where])]);
  };
  for (const file of sourceFiles()) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/\b(?:AppError|errorBody)\(\s*['"`]([a-z_]+)['"`]/g)) note(m[1], file);
    if (/\bErrorCode\b/.test(source)) for (const m of source.matchAll(/['"`]([a-z_]+)['"`]/g)) note(m[1], file);
  }
  return produced;
}

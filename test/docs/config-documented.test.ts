import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ROOT } from '../../scripts/stack/processes.js';

function configFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'test') return [];
    if (statSync(full).isDirectory()) return configFiles(full);
    return name.endsWith('.config.ts') ? [full] : [];
  });
}

function shapeOf(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> | undefined {
  if (schema instanceof z.ZodObject) return schema.shape as Record<string, z.ZodTypeAny>;
  if (schema instanceof z.ZodEffects) return shapeOf(schema.innerType() as z.ZodTypeAny);
  return undefined;
}

test('every environment variable of every process is in the README configuration table', async () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'));
  const files = ['services', 'workers', 'waiting-room'].flatMap((d) => configFiles(path.join(ROOT, d)));
  assert.ok(files.length >= 6, `found only ${files.length} config schemas`);
  const missing: string[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const exported of Object.values(module)) {
      const shape = exported instanceof z.ZodType ? shapeOf(exported) : undefined;
      for (const name of Object.keys(shape ?? {})) if (!table.includes(`\`${name}\``)) missing.push(`${name} (${path.relative(ROOT, file)})`);
    }
  }
  assert.deepEqual([...new Set(missing)], [], 'undocumented variables');
});

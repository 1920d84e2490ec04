import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestPlatform } from '../../support/test-platform.js';

/** The JSON log lines a service of the platform wrote with this message (pino, one object a line). */
export function loggedEntries(platform: TestPlatform, service: string, msg: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(platform.outputDir, `${service}.log`), 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"msg":${JSON.stringify(msg)}`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

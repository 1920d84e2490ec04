/**
 * Summarises the V8 CPU profiles (`.cpuprofile`) in a directory: per file, the
 * functions with the most self time, and the same grouped by package (or
 * project folder), so the biggest items of each process stand out.
 * Usage: node --import tsx bench/cpu-profile-top.ts <dir> [top=15]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2];
const TOP = Number(process.argv[3] ?? 15);
if (!dir) throw new Error('usage: cpu-profile-top.ts <dir> [top]');

/** node_modules/<pkg> or the project folder a script belongs to. */
function ownerOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(services|workers|lib|waiting-room)\/([^/]+)/.exec(url);
  return m ? `${m[1]}/${m[2]}` : path.basename(url);
}

const pct = (ms: number, total: number) => `${((ms / total) * 100).toFixed(1)} %`;

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    total += ms;
    const key = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const owner = functionName === '(garbage collector)' ? '(gc)' : ownerOf(url);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k, ms]) => `    ${pct(ms, total).padStart(7)}  ${ms.toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n');
  console.log(`${file}: ${total.toFixed(0)} ms busy (idle excluded)\n  by package/folder:\n${top(byOwner)}\n  by function (self time):\n${top(byFunction)}\n`);
}

/**
 * Runs the development entry (`node --import tsx scripts/dev.ts`, or `npm start` itself)
 * the way a person does, on a free port with a temporary data folder, and looks at the
 * process tree it starts through /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from '../../scripts/stack/processes.js';

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** pid → parent pid of every process on the machine (Linux /proc). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      /* gone meanwhile */
    }
  }
  return map;
}

/** Every process below `root` (children, their children…). */
export function descendants(root: number): number[] {
  const ppids = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const [child, parent] of ppids)
      if (parent === pid) {
        found.push(child);
        queue.push(child);
      }
  }
  return found;
}

export const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
};

/** The environment a running process was started with. */
export function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, detail: () => string = () => '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function answers(url: string) {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

export interface DevEntry {
  child: ChildProcess;
  port: number;
  dataDir: string;
  /** Everything it printed (stdout and stderr) so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once it printed "The platform is up"; rejects if it exits first. */
  up(timeoutMs?: number): Promise<void>;
  /** Kills whatever of its tree is left and removes its data folder. */
  cleanUp(): Promise<void>;
}

/**
 * Starts the dev entry. `npm: true` runs `npm start` (the setup script is satisfied:
 * the test runner ran it). The child gets a process group of its own, as a shell gives
 * a foreground job, so a test can send a terminal's Ctrl-C to the whole group.
 */
export async function startDevEntry(env: Record<string, string> = {}, opts: { npm?: boolean; port?: number; cwd?: string } = {}): Promise<DevEntry> {
  const port = opts.port ?? (await freePort());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'onsale-dev-entry-'));
  const [command, args] = opts.npm ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'scripts/dev.ts']];
  const child = spawn(command, args, {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const seen = new Set<number>();
  const track = setInterval(() => {
    if (child.pid && !hasExited) for (const pid of descendants(child.pid)) seen.add(pid);
  }, 200);
  track.unref();
  return {
    child,
    port,
    dataDir,
    output: () => out,
    exited,
    async up(timeoutMs = 120_000) {
      await until(
        'the platform is up',
        () => {
          if (hasExited) throw new Error(`the dev entry exited before it was up:\n${out.slice(-3000)}`);
          return out.includes('The platform is up');
        },
        timeoutMs,
        () => `\n${out.slice(-3000)}`,
      );
      if (child.pid) for (const pid of descendants(child.pid)) seen.add(pid);
    },
    async cleanUp() {
      clearInterval(track);
      if (child.pid && alive(child.pid)) for (const pid of descendants(child.pid)) seen.add(pid);
      for (const pid of [child.pid ?? 0, ...seen]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      if (!hasExited) await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

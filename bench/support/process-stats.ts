/** CPU time and memory of the platform's server processes, read from /proc (the driver and the benchmark's own clients are not counted). */
import { readFileSync } from 'node:fs';
import type { Platform } from '../../scripts/stack/platform.js';

const CLOCK_TICK_MS = 10; // _SC_CLK_TCK is 100 on Linux

/** CPU milliseconds (user + system) a process has used so far. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/** Every server process of the platform by name, Redis and FerretDB included. */
export function serverPids(platform: Platform): Map<string, number | undefined> {
  const pids = new Map<string, number | undefined>([...platform.services].map(([name, proc]) => [name, proc.child?.pid]));
  // HAProxy, the public edge (not one of the Node services).
  pids.set('edge', platform.edge?.process.child?.pid);
  pids.set('redis', platform.redis?.process.child?.pid);
  pids.set('ferretdb', platform.ferretdb?.process.child?.pid);
  return pids;
}

/** Resident memory of a process in MB (VmRSS from /proc). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export const rssSnapshot = (platform: Platform) => new Map([...serverPids(platform)].map(([name, pid]) => [name, rssMb(pid)]));
export const rssLine = (rss: Map<string, number>) => [...rss].map(([name, mb]) => `${name} ${mb.toFixed(0)}`).join(', ');

export const cpuSnapshot = (platform: Platform) => new Map([...serverPids(platform)].map(([name, pid]) => [name, cpuMs(pid)]));

/** CPU milliseconds this process's finished children (waited for) used so far: a k6 run once it exited. */
export function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * CLOCK_TICK_MS;
}

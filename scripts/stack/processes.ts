import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/**
 * The first port of the OS's ephemeral range: ports it hands out for outgoing
 * connections (and for listen(0)). A port from below it cannot be taken by a
 * client socket between the moment it is chosen and the moment a server binds it.
 */
function ephemeralRangeStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const PORT_FLOOR = 20_000;
/** Well-known ports in that range that another installation may take at any time (MongoDB). */
const AVOID = new Set([27017, 27018, 27019]);
/** Ports this process has handed out already: never twice, even after they are free again. */
const handedOut = new Set<number>();

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a server could listen on this port now (on `host`, loopback by default). */
export function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port for a server we start (never assumes 6379/27017 are ours).
 * Not listen(0): that port comes from the ephemeral range, and once closed the OS
 * may give it to any outgoing connection before our server binds it (a booking
 * worker once failed EADDRINUSE that way while another process answered its
 * /health), or hand the same port out twice to one stack.
 */
export async function freePort(): Promise<number> {
  const ceiling = ephemeralRangeStart();
  if (ceiling - PORT_FLOOR < 1000) return anyPort(); // an unusual range: let the OS choose
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_FLOOR + Math.floor(Math.random() * (ceiling - PORT_FLOOR));
    if (handedOut.has(port) || AVOID.has(port)) continue;
    // Taken before the probe: concurrent calls (Promise.all) never pick the same one.
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${PORT_FLOOR} and ${ceiling}`);
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ManagedProcess, abort?: AbortSignal) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (abort?.aborted) throw new Error(`${what}: start abandoned (${String(abort.reason)})`);
    if (child && child.exited) throw new Error(`${what}: process exited with ${child.exitCode ?? child.exitSignal} before it was ready${child.tail()}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${what} not ready after ${timeoutMs} ms${child?.tail() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether the processes started from now on get a process group of their own. `npm start`
 * turns it on: a terminal's Ctrl-C (SIGINT to the whole foreground group) then reaches only
 * the development process, which stops the platform in order (gateway, services, workers,
 * stores) instead of every process at once (Redis first, and the services waiting for it).
 */
let ownProcessGroups = false;
export function startInOwnProcessGroups(on = true) {
  ownProcessGroups = on;
}

export type OutputMode = { kind: 'file'; path: string } | { kind: 'console'; prefix: string } | { kind: 'ignore' };

/** A child process we started and may stop, kill or start again with the same command. */
export class ManagedProcess {
  child?: ChildProcess;
  exited = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private lastLines: string[] = [];
  private log?: WriteStream;
  private stopping = false;
  /** Called when the process exits without having been asked to (a crash, or a signal from outside). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: string[],
    readonly env: NodeJS.ProcessEnv,
    readonly output: OutputMode,
  ) {}

  start() {
    this.exited = false;
    this.stopping = false;
    this.lastLines = [];
    const child = spawn(this.command, this.args, { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: ownProcessGroups });
    this.child = child;
    if (this.output.kind === 'file') this.log ??= createWriteStream(this.output.path, { flags: 'a' });
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      this.lastLines.push(...text.split('\n').filter(Boolean));
      if (this.lastLines.length > 30) this.lastLines.splice(0, this.lastLines.length - 30);
      if (this.output.kind === 'file') this.log?.write(text);
      else if (this.output.kind === 'console') {
        const prefix = this.output.prefix;
        process.stdout.write(
          text
            .split('\n')
            .filter(Boolean)
            .map((l) => `${prefix} ${l}\n`)
            .join(''),
        );
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      // Said in its log, where a failed test's reader looks (scripts/run-tests.sh prints it).
      if (!this.stopping && this.log) this.log.write(`[stack] ${this.name} exited on its own (code ${code}, signal ${signal})\n`);
      if (!this.stopping) this.onUnexpectedExit?.(code, signal);
    });
    return this;
  }

  tail(): string {
    return this.lastLines.length ? `\n--- last output of ${this.name} ---\n${this.lastLines.join('\n')}` : '';
  }

  /** Sends a signal and waits for the process to be gone (SIGKILL after the grace period). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.stopping = true;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  kill() {
    return this.stop('SIGKILL', 0);
  }

  closeLog() {
    this.log?.end();
    this.log = undefined;
  }
}

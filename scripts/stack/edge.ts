import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayConfigSchema } from '../../services/gateway/gateway.config.js';
import { haproxyConfig } from '../../services/gateway/haproxy/haproxy-config.js';
import { freePort, ManagedProcess, waitFor, type OutputMode } from './processes.js';

export interface EdgeHandle {
  /** The public URL: the API, Socket.IO, the docs page. */
  url: string;
  port: number;
  /** HAProxy's own /metrics (Prometheus exporter) and /health. */
  metricsPort: number;
  process: ManagedProcess;
  configPath: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  /** The gateway's environment (its config schema's variables): routes, CORS, limits, TRUSTED_PROXIES. */
  env: NodeJS.ProcessEnv;
  host: string;
  port: number;
  /** Where the Node gateway answers (the docs page, openapi.json, API 404s). */
  gatewayUrl: string;
  /** The generated haproxy.cfg goes here (it holds the client-address key: this user only). */
  dir: string;
  name?: string;
  output: OutputMode;
  abort?: AbortSignal;
}

export function haproxyBinary(): string {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return 'haproxy';
  } catch {
    throw new Error("haproxy is not installed: run 'bash scripts/setup-tools.sh' (Debian package 'haproxy')");
  }
}

/** Debian's HAProxy in the foreground with a config generated from the gateway's route table and config. */
export async function startEdge(opts: EdgeOptions): Promise<EdgeHandle> {
  const binary = haproxyBinary();
  const config = gatewayConfigSchema.parse({ ...opts.env, PORT: opts.env.PORT ?? '0' });
  const metricsPort = opts.env.EDGE_METRICS_PORT ? config.EDGE_METRICS_PORT : await freePort();
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const configPath = path.join(opts.dir, 'haproxy.cfg');
  writeFileSync(configPath, haproxyConfig(config, { host: opts.host, port: opts.port, metricsHost: '127.0.0.1', metricsPort, gatewayUrl: opts.gatewayUrl }), {
    mode: 0o600,
  });
  execFileSync(binary, ['-c', '-q', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const name = opts.name ?? 'edge';
  const proc = new ManagedProcess(name, binary, ['-db', '-f', configPath], { PATH: process.env.PATH }, opts.output);
  const ready = () =>
    waitFor(
      `${name} (HAProxy) on ${opts.port}`,
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/health`, { signal: AbortSignal.timeout(1000) })).status === 200,
      15_000,
      proc,
      opts.abort,
    );
  proc.start();
  await ready();
  return {
    url: `http://127.0.0.1:${opts.port}`,
    port: opts.port,
    metricsPort,
    process: proc,
    configPath,
    async restart() {
      proc.start();
      await ready();
    },
    // SIGUSR1: a soft stop, the requests in flight are finished first (SIGTERM would drop them).
    stop: () => proc.stop('SIGUSR1'),
  };
}

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEdge, type EdgeHandle } from './edge.js';
import { canListen, freePort, ManagedProcess, ROOT, waitFor, type OutputMode } from './processes.js';
import { startFerretDb, startRedis, type ServerHandle } from './servers.js';

/**
 * Every Node process of the platform, with its entry point. The gateway starts last, then HAProxy
 * (the edge, scripts/stack/edge.ts) in front of it and the services on the public port.
 */
export const SERVICES = {
  auth: 'services/auth/main.ts',
  concert: 'services/concert/main.ts',
  booking: 'services/booking/main.ts',
  notification: 'services/notification/main.ts',
  'waiting-room': 'waiting-room/main.ts',
  'booking-worker': 'workers/booking/main.ts',
  gateway: 'services/gateway/main.ts',
} as const;

export type ServiceName = keyof typeof SERVICES;

export const DEV_ADMIN = { email: 'admin@onsale.local', password: 'change-me-admin-password' };

export interface PlatformOptions {
  /** Redis data, FerretDB data and JWT keys live here. */
  dataDir: string;
  gatewayPort?: number;
  /** Use these servers instead of starting our own. */
  mongoUrl?: string;
  redisUrl?: string;
  /** Extra environment for every service, then per service. */
  env?: Record<string, string>;
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  output: (name: string) => OutputMode;
  /** Start only these services (default all). */
  only?: ServiceName[];
  /** Gives up starting (and stops what was started) when this is aborted. */
  abort?: AbortSignal;
  /** Extra Node.js flags for every service (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/** The gateway's port is taken: nothing was started. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(`port ${port} (on ${host}) is already in use`);
    this.name = 'PortInUseError';
  }
}

export interface Platform {
  /** The public URL: HAProxy, the edge. */
  gatewayUrl: string;
  /** HAProxy on the public port (undefined when the gateway is not started). */
  edge?: EdgeHandle;
  /** One more HAProxy in front of the same services with these gateway variables changed (CORS_ORIGINS, …). */
  startEdge(extraEnv: Record<string, string>, label: string): Promise<EdgeHandle>;
  /** The admin account auth was started with (DEV_ADMIN, or a generated password in production). */
  admin: { email: string; password: string };
  mongoUrl: string;
  redisUrl: string;
  redis?: ServerHandle;
  ferretdb?: ServerHandle;
  services: Map<ServiceName, ManagedProcess>;
  /** Each Node process's own port (/health, /metrics; the gateway's is not the public one). */
  ports: Map<ServiceName, number>;
  serviceUrl(name: ServiceName): string;
  /** Starts one more copy (or a restarted copy) of a service with its usual environment. */
  startService(name: ServiceName, extraEnv?: Record<string, string>, label?: string): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

/** A random secret kept in `dataDir` (readable by this user only), made on first use. */
function storedSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/**
 * What the stack writes (Redis's append-only file, FerretDB's SQLite files, keys,
 * secrets) is for this user only: the process's umask makes every new file 0600 and
 * folder 0700, also in the servers it spawns, and a data folder made by an earlier
 * version with 0755/0644 is tightened at start.
 */
export function keepDataPrivate(dataDir: string) {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tighten = (entry: string) => {
    const stat = lstatSync(entry);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) chmodSync(entry, stat.mode & 0o700);
    if (stat.isDirectory()) for (const child of readdirSync(entry)) tighten(path.join(entry, child));
  };
  tighten(dataDir);
}

function jwtKeys(dataDir: string) {
  const privatePath = path.join(dataDir, 'jwt-private.pem');
  const publicPath = path.join(dataDir, 'jwt-public.pem');
  if (!existsSync(privatePath)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(privatePath, privateKey, { mode: 0o600 });
    writeFileSync(publicPath, publicKey, { mode: 0o600 });
  }
  return { privateKey: readFileSync(privatePath, 'utf8'), publicKey: readFileSync(publicPath, 'utf8') };
}

/** Variables only auth may see: the admin's password never reaches another process, whatever `env` passes to all. */
const AUTH_ONLY = ['ADMIN_PASSWORD'];
function authOnly(name: ServiceName, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (name !== 'auth') for (const key of AUTH_ONLY) delete env[key];
  return env;
}

/** Healthy, and the service we started: another process answering on that port does not count. */
/** While the edge's public /health says a backend has no server up (503), at most `withinMs`. */
async function edgeSeesEveryBackend(edgeUrl: string, withinMs: number) {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const res = await fetch(`${edgeUrl}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    // 200: it sees them all; no answer: the edge itself is down (a test restarts it after this).
    if (res === undefined || res.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthy(url: string, service: ServiceName) {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
  return res.status === 200 && ((await res.json()) as { service?: string }).service === service;
}

/** Starts Redis and FerretDB (unless URLs are given) and every service; resolves when all are healthy. */
export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  // Before anything starts: a gateway that cannot bind dies, while whatever holds the
  // port (often an earlier platform's gateway) answers its health check for it.
  const gatewayPort = opts.gatewayPort ?? 3000;
  const gatewayHost = opts.serviceEnv?.gateway?.HOST ?? opts.env?.HOST ?? '127.0.0.1';
  if ((!opts.only || opts.only.includes('gateway')) && gatewayPort !== 0 && !(await canListen(gatewayPort, gatewayHost)))
    throw new PortInUseError(gatewayPort, gatewayHost);
  keepDataPrivate(opts.dataDir);
  const started: Array<{ stop(): Promise<void> }> = [];
  const services = new Map<ServiceName, ManagedProcess>();
  /** Every service process started, also the ones still starting when another failed. */
  const spawned: ManagedProcess[] = [];
  const extraCopies: ManagedProcess[] = [];
  const edges: EdgeHandle[] = [];
  const ports = new Map<ServiceName, number>();

  try {
    const [redisPort, mongoPort] = await Promise.all([freePort(), freePort()]);
    // Each one is in `started` as soon as it answers, so a failure of the other stops it.
    const keep = <T extends { stop(): Promise<void> }>(server: T) => (started.push(server), server);
    const [redis, ferretdb] = await Promise.all([
      opts.redisUrl ? undefined : startRedis(path.join(opts.dataDir, 'redis'), redisPort, opts.output('redis')).then(keep),
      opts.mongoUrl ? undefined : startFerretDb(path.join(opts.dataDir, 'ferretdb'), mongoPort, opts.output('ferretdb')).then(keep),
    ]);
    const redisUrl = opts.redisUrl ?? redis?.url;
    const mongoUrl = opts.mongoUrl ?? ferretdb?.url;
    if (!redisUrl || !mongoUrl) throw new Error('no Redis or MongoDB to use');

    const keys = jwtKeys(opts.dataDir);
    const names = (Object.keys(SERVICES) as ServiceName[]).filter((n) => !opts.only || opts.only.includes(n));
    for (const name of names) ports.set(name, await freePort());
    const url = (name: ServiceName) => `http://127.0.0.1:${ports.get(name)}`;

    const admissionTokenSecret = storedSecret(opts.dataDir, 'admission-token-secret');
    // The gateway signs the client address it forwards; the services believe only that (lib/client-address-proof.ts).
    const clientAddressSecret = storedSecret(opts.dataDir, 'client-address-secret');
    // Production refuses DEV_ADMIN's published password (lib/config.ts): a bench or test in
    // production mode gets one generated per data dir, like the admission secret.
    const authEnv = { ...opts.env, ...opts.serviceEnv?.auth };
    const adminPasswordPath = path.join(opts.dataDir, 'admin-password');
    if (authEnv.NODE_ENV === 'production' && !existsSync(adminPasswordPath))
      writeFileSync(adminPasswordPath, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const admin = {
      email: authEnv.ADMIN_EMAIL ?? DEV_ADMIN.email,
      password: authEnv.ADMIN_PASSWORD ?? (authEnv.NODE_ENV === 'production' ? readFileSync(adminPasswordPath, 'utf8').trim() : DEV_ADMIN.password),
    };
    const envFor = (name: ServiceName, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
      authOnly(name, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // Services shut down when this process dies (lib/boot.ts): no orphans left reconnecting.
        STACK_PARENT_PID: String(process.pid),
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        MONGO_URL: mongoUrl,
        REDIS_URL: redisUrl,
        JWT_PUBLIC_KEY: keys.publicKey,
        ...(name === 'waiting-room' || name === 'booking' ? { ADMISSION_TOKEN_SECRET: admissionTokenSecret } : {}),
        ...(name === 'booking-worker' ? {} : { CLIENT_ADDRESS_SECRET: clientAddressSecret }),
        ...(name === 'auth' ? { JWT_PRIVATE_KEY: keys.privateKey, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password } : {}),
        ...(name === 'gateway'
          ? {
              AUTH_URL: url('auth'),
              CONCERT_URL: url('concert'),
              BOOKING_URL: url('booking'),
              NOTIFICATION_URL: url('notification'),
              WAITING_ROOM_URL: url('waiting-room'),
              REALTIME_URL: url('booking'),
            }
          : {}),
        ...opts.env,
        ...opts.serviceEnv?.[name],
        ...extra,
        PORT: String(port),
      });

    const spawnService = async (name: ServiceName, port: number, extra?: Record<string, string>, label: string = name) => {
      const proc = new ManagedProcess(
        label,
        process.execPath,
        [...(opts.nodeArgs ?? []), '--import', 'tsx', SERVICES[name]],
        envFor(name, port, extra),
        opts.output(label),
      );
      spawned.push(proc);
      proc.start();
      await waitFor(label, () => healthy(`http://127.0.0.1:${port}`, name), 60_000, proc, opts.abort);
      return proc;
    };

    // Auth first: it creates the admin; the rest in parallel; the gateway last.
    const order: ServiceName[][] = [
      names.filter((n) => n === 'auth'),
      names.filter((n) => n !== 'auth' && n !== 'gateway'),
      names.filter((n) => n === 'gateway'),
    ];
    for (const group of order) {
      if (opts.abort?.aborted) throw new Error(`start abandoned (${String(opts.abort.reason)})`);
      await Promise.all(
        group.map(async (name) => {
          services.set(name, await spawnService(name, ports.get(name)!));
        }),
      );
    }

    const edgeFor = async (extraEnv: Record<string, string>, label: string, port: number) => {
      const edge = await startEdge({
        env: envFor('gateway', ports.get('gateway')!, extraEnv),
        host: gatewayHost,
        port,
        gatewayUrl: url('gateway'),
        dir: path.join(opts.dataDir, label),
        name: label,
        output: opts.output(label),
        abort: opts.abort,
      });
      edges.push(edge);
      return edge;
    };
    const edge = services.has('gateway') ? await edgeFor({}, 'edge', gatewayPort || (await freePort())) : undefined;

    return {
      gatewayUrl: edge?.url ?? url('gateway'),
      edge,
      async startEdge(extraEnv, label) {
        return edgeFor(extraEnv, label, await freePort());
      },
      admin,
      mongoUrl,
      redisUrl,
      redis,
      ferretdb,
      services,
      ports,
      serviceUrl: url,
      async startService(name, extraEnv, label) {
        const port = label ? await freePort() : ports.get(name);
        if (port === undefined) throw new Error(`${name} is not part of this platform`);
        const proc = await spawnService(name, port, extraEnv, label ?? name);
        if (label) {
          extraCopies.push(proc);
        } else {
          services.set(name, proc);
          // A restarted service: HAProxy's health check (every 1 s) marks its server up again;
          // until then the edge answers 503 for it. Wait (briefly: another service may be down on purpose).
          await Promise.all(edges.map((e) => edgeSeesEveryBackend(e.url, 5_000)));
        }
        return proc;
      },
      /** In order: the edge and the gateway (no new requests), the services, the workers, then Redis and FerretDB. */
      async stop() {
        const all = [...extraCopies, ...services.values()];
        const gateway = services.get('gateway');
        const isWorker = (p: ManagedProcess) => p.args.includes(SERVICES['booking-worker']);
        await Promise.all(edges.map((e) => e.stop()));
        await gateway?.stop();
        await Promise.all(all.filter((p) => p !== gateway && !isWorker(p)).map((p) => p.stop()));
        await Promise.all(all.filter(isWorker).map((p) => p.stop()));
        await Promise.all(started.map((s) => s.stop()));
        for (const p of [...all, ...edges.map((e) => e.process)]) p.closeLog();
        redis?.process.closeLog();
        ferretdb?.process.closeLog();
      },
    };
  } catch (err) {
    await Promise.all(edges.map((e) => e.process.stop('SIGKILL')));
    await Promise.all(spawned.map((p) => p.stop('SIGKILL')));
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
}

export { ROOT };

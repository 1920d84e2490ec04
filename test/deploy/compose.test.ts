import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { parse } from 'yaml';
import { z } from 'zod';
import { ROOT } from '../../scripts/stack/processes.js';
import { SERVICES, type ServiceName } from '../../scripts/stack/platform.js';
import type { AuthConfig } from '../../services/auth/auth.config.js';
import type { BookingConfig } from '../../services/booking/booking.config.js';

// No Docker engine runs here: docker-compose.yml is checked with `docker-compose
// config` (Debian's docker-compose) and against the code it deploys.
const run = promisify(execFile);
const WORK = path.join(ROOT, 'test-output', 'deploy-compose');
const BUILD = path.join(WORK, 'build');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  deploy?: { replicas?: number };
  profiles?: string[];
  volumes?: string[];
  ports?: unknown[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

async function composeConfig(envFile: string): Promise<{ config: ComposeFile; stderr: string }> {
  const { stdout, stderr } = await run('docker-compose', ['--env-file', envFile, '--profile', 'load', 'config'], { cwd: ROOT });
  return { config: parse(stdout) as ComposeFile, stderr };
}

/** The zod schema of a process: the `*ConfigSchema` export of the `*.config.ts` beside its entry point. */
async function configSchemaOf(name: ServiceName): Promise<z.ZodTypeAny> {
  const dir = path.dirname(path.join(ROOT, SERVICES[name]));
  const files = readdirSync(dir).filter((f) => f.endsWith('.config.ts'));
  const schemas: z.ZodTypeAny[] = [];
  for (const file of files) {
    const mod = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const [exported, value] of Object.entries(mod)) if (exported.endsWith('ConfigSchema') && value instanceof z.ZodType) schemas.push(value);
  }
  assert.equal(schemas.length, 1, `${name}: exactly one *ConfigSchema in ${path.relative(ROOT, dir)}/*.config.ts`);
  return schemas[0];
}

/** Variables a schema cannot do without: neither optional nor defaulted. */
function requiredVariables(schema: z.ZodTypeAny): string[] {
  let inner = schema;
  while (inner instanceof z.ZodEffects) inner = inner.innerType() as z.ZodTypeAny;
  assert.ok(inner instanceof z.ZodObject, 'a config schema is a z.object (possibly refined)');
  return Object.entries((inner as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>)
    .filter(([, field]) => !field.isOptional())
    .map(([key]) => key);
}

const compiledEntry = (name: ServiceName) => SERVICES[name].replace(/\.ts$/, '.js');

let config: ComposeFile;
let generatedEnvFile: string;

before(async () => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  config = (await composeConfig('.env.example')).config;
  generatedEnvFile = path.join(WORK, 'generated.env');
  await run('bash', ['scripts/make-env.sh', 'ops@example.com'], { cwd: ROOT, env: { ...process.env, ENV_FILE: generatedEnvFile } });
});

describe('docker-compose.yml', () => {
  test('`docker-compose config` is clean with the documented .env, and refuses to run without the secrets', async () => {
    const { stderr } = await composeConfig('.env.example');
    assert.equal(stderr.trim(), '', 'no warnings');
    const empty = path.join(WORK, 'empty.env');
    writeFileSync(empty, '');
    await assert.rejects(composeConfig(empty), (err: Error & { stderr?: string }) =>
      /JWT_PUBLIC_KEY|JWT_PRIVATE_KEY|MONGO_ROOT_PASSWORD|REDIS_PASSWORD|CLIENT_ADDRESS_SECRET/.test(err.stderr ?? ''),
    );
  });

  test('every process of the platform runs in Compose from the one image, with its compiled entry point', () => {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const service = config.services[name];
      assert.ok(service, `Compose has a service "${name}"`);
      assert.ok(service.build, `${name} is built from the Dockerfile`);
      assert.deepEqual(service.command, ['node', compiledEntry(name)], `${name} runs ${SERVICES[name]} compiled`);
      assert.equal(service.restart, 'on-failure', `${name} restarts on failure`);
      assert.equal(service.environment?.HOST, '0.0.0.0', `${name} listens beyond the container's loopback`);
    }
    const images = new Set((Object.keys(SERVICES) as ServiceName[]).map((n) => config.services[n].image));
    assert.equal(images.size, 1, 'one image for every process');
  });

  test('the build has every entry point Compose runs, the files read beside the code, and each loads its whole module graph', async () => {
    await run('bash', ['scripts/build.sh', BUILD], { cwd: ROOT });
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const [, entry] = config.services[name].command!;
      assert.ok(existsSync(path.join(BUILD, entry)), `${entry} is in the build`);
    }
    // Every Lua script (and any other file the code reads) sits beside the compiled code.
    const { stdout } = await run('find', ['lib', 'services', 'workers', 'waiting-room', '-type', 'f', '-name', '*.lua', '-not', '-path', '*/test/*'], {
      cwd: ROOT,
    });
    const luaFiles = stdout.split('\n').filter(Boolean);
    assert.ok(luaFiles.length > 0);
    for (const file of luaFiles) assert.ok(existsSync(path.join(BUILD, file)), `${file} copied into the build`);

    // With no environment, a compiled process must get as far as config validation:
    // proof that every import resolves without tsx.
    await Promise.all(
      (Object.keys(SERVICES) as ServiceName[]).map(async (name) => {
        const entry = path.join(BUILD, compiledEntry(name));
        const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(process.execPath, [entry], { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.on('exit', (code) => resolve({ code, output }));
        });
        assert.equal(code, 1, `${name}: ${output}`);
        assert.match(output, /Invalid configuration/, `${name} stops at its config, not at an import: ${output}`);
      }),
    );
  });

  test("every variable a process's config schema requires is set for it in Compose", async () => {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const required = requiredVariables(await configSchemaOf(name));
      assert.ok(required.length > 0, `${name} requires something (the introspection works)`);
      const env = config.services[name].environment ?? {};
      const missing = required.filter((key) => env[key] === undefined || env[key] === null || env[key] === '');
      assert.deepEqual(missing, [], `${name}: required by its config schema but not set in docker-compose.yml`);
    }
  });

  test('with a .env from scripts/make-env.sh, every process accepts its Compose environment and the JWT keys pair up', async () => {
    const generated = (await composeConfig(generatedEnvFile)).config;
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const env = Object.fromEntries(Object.entries(generated.services[name].environment ?? {}).map(([k, v]) => [k, v ?? '']));
      const parsed = (await configSchemaOf(name)).safeParse(env);
      assert.ok(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const authEnv = (await configSchemaOf('auth')).parse(generated.services.auth.environment) as AuthConfig;
    const bookingEnv = (await configSchemaOf('booking')).parse(generated.services.booking.environment) as BookingConfig;
    const token = jwt.sign({ role: 'fan' }, authEnv.JWT_PRIVATE_KEY, { algorithm: 'RS256', subject: 'x' });
    assert.equal((jwt.verify(token, bookingEnv.JWT_PUBLIC_KEY) as jwt.JwtPayload).sub, 'x');
    const waitingRoomEnv = generated.services['waiting-room'].environment!;
    assert.equal(waitingRoomEnv.ADMISSION_TOKEN_SECRET, generated.services.booking.environment!.ADMISSION_TOKEN_SECRET, 'one admission secret for both sides');
  });

  test('the stores are persistent and healthy before anything starts; several booking workers run', () => {
    assert.match(config.services.redis.command!.join(' '), /--appendonly yes/);
    // `config` normalises mounts to `source:target:mode`.
    assert.ok(
      config.services.redis.volumes?.some((v) => /^redis-data:\/data(:rw)?$/.test(v)),
      'Redis data on a named volume',
    );
    assert.ok(
      config.services.mongo.volumes?.some((v) => /^mongo-data:\/data\/db(:rw)?$/.test(v)),
      'MongoDB data on a named volume',
    );
    assert.match(config.services.mongo.image!, /^mongo:7/);
    assert.match(config.services.redis.image!, /^redis:7/);
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const deps = config.services[name].depends_on ?? {};
      assert.ok(Object.keys(deps).length > 0, `${name} waits for something`);
      for (const [dep, { condition }] of Object.entries(deps)) assert.equal(condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
    }
    assert.ok((config.services['booking-worker'].deploy?.replicas ?? 1) >= 2, 'two or more booking workers');
    const gatewayDeps = Object.keys(config.services.gateway.depends_on ?? {}).sort();
    assert.deepEqual(gatewayDeps, (Object.keys(SERVICES) as ServiceName[]).filter((n) => n !== 'gateway' && n !== 'booking-worker').sort());
  });

  test('Prometheus scrapes every process (every replica), Grafana reads that Prometheus, k6 runs only in the load profile', async () => {
    // promtool ships with Debian's prometheus package, which scripts/setup-tools.sh installs.
    const checked = await run('promtool', ['check', 'config', 'prometheus/prometheus.yml'], { cwd: ROOT });
    assert.match(checked.stdout + checked.stderr, /SUCCESS/);
    const prometheus = parse(readFileSync(path.join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; type: string; port: number }> }>;
    };
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const job = prometheus.scrape_configs.find((j) => j.job_name === name);
      assert.ok(job, `a scrape job for ${name}`);
      const sd = job.dns_sd_configs?.[0];
      assert.deepEqual(sd && { names: sd.names, type: sd.type, port: String(sd.port) }, {
        names: [name],
        type: 'A',
        port: config.services[name].environment!.PORT,
      });
    }
    const edgeJob = prometheus.scrape_configs.find((j) => j.job_name === 'edge')?.dns_sd_configs?.[0];
    assert.deepEqual(edgeJob && { names: edgeJob.names, port: String(edgeJob.port) }, {
      names: ['edge'],
      port: config.services.gateway.environment!.EDGE_METRICS_PORT,
    });
    assert.ok(config.services.prometheus.volumes?.some((v) => v.includes('prometheus/prometheus.yml:/etc/prometheus/prometheus.yml')));

    const datasources = parse(readFileSync(path.join(ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ url: string; uid: string }>;
    };
    assert.equal(datasources.datasources[0].url, 'http://prometheus:9090');
    const grafanaVolumes = config.services.grafana.volumes ?? [];
    assert.ok(grafanaVolumes.some((v) => v.endsWith('grafana/provisioning:/etc/grafana/provisioning:ro')));
    assert.ok(grafanaVolumes.some((v) => v.endsWith('grafana/dashboards:/var/lib/grafana/dashboards:ro')));

    const k6 = config.services.k6;
    assert.deepEqual(k6.profiles, ['load']);
    assert.deepEqual(k6.build, { context: ROOT, target: 'load' });
    assert.equal(k6.environment?.ONSALE_URL, 'http://edge:3000', 'the storm goes through the edge');
    assert.equal(k6.command?.[0], 'storm');
    assert.ok(existsSync(path.join(ROOT, 'load/scenarios/storm.js')), 'the storm scenario exists');
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM grafana\/k6:\S+ AS k6$/m, 'k6 comes from the official image');
    assert.match(dockerfile, /^FROM build AS load$/m);
    // Whatever the load stage copies must exist in the repository.
    const loadStage = dockerfile.slice(dockerfile.indexOf('FROM build AS load'));
    for (const [, source] of loadStage.matchAll(/^COPY (?!--)(\S+) /gm)) assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`);
  });

  test("the edge is HAProxy 2.6 on the public port, with the haproxy.cfg edge-config writes from the build and the gateway's environment", async () => {
    const generated = (await composeConfig(generatedEnvFile)).config;
    const edge = generated.services.edge;
    const writer = generated.services['edge-config'];
    assert.match(edge.image!, /^haproxy:2\.6/);
    assert.deepEqual(edge.depends_on, { 'edge-config': { condition: 'service_completed_successfully' }, gateway: { condition: 'service_healthy' } });
    assert.equal(generated.services.gateway.ports, undefined, 'the Node gateway is not published: only the edge is');
    assert.ok(edge.ports?.length, 'the edge publishes the public port');
    assert.ok(writer.volumes?.some((v) => /^edge-config:\/etc\/onsale-edge(:rw)?$/.test(v)));
    assert.ok(edge.volumes?.some((v) => v === 'edge-config:/usr/local/etc/haproxy:ro'));
    // The writer as Compose runs it (compiled, the previous test's build), its file checked by HAProxy itself.
    const [, entry, target] = writer.command!;
    const cfg = path.join(WORK, 'haproxy.cfg');
    const env = Object.fromEntries(Object.entries(writer.environment ?? {}).map(([k, v]) => [k, v ?? '']));
    await run(process.execPath, [path.join(BUILD, entry), cfg], { env: { ...env, PATH: process.env.PATH } });
    assert.equal(path.basename(target), 'haproxy.cfg');
    const checked = await run('haproxy', ['-c', '-f', cfg]);
    // Compose's service names resolve only on Docker's network: HAProxy starts such a server disabled and looks it up again.
    const problems = (checked.stdout + checked.stderr).split('\n').filter((l) => /WARNING|ALERT/.test(l) && !/could not resolve address/.test(l));
    assert.deepEqual(problems, []);
    const text = readFileSync(cfg, 'utf8');
    assert.match(text, /^ {2}bind 0\.0\.0\.0:3000$/m);
    assert.match(text, /^ {2}server auth-1 auth:3000 /m);
    assert.match(text, /hmac\(sha256,/, 'the client address is signed');
  });

  test('the image runs as a non-root user in production mode with a health check', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'), dockerfile.indexOf('AS k6'));
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /NODE_ENV=production/);
    assert.match(runtime, /^HEALTHCHECK /m);
    assert.match(runtime, /\/health/);
    assert.doesNotMatch(runtime, /tsx/, 'the runtime runs compiled JavaScript');
  });
});

/**
 * Issue 18: published and weak secrets are refused in production, by name, at boot,
 * and the admin's password reaches the auth process only. The config checks run
 * in-process (every schema with a secret); the boot checks start auth, booking and
 * the waiting room with .env.example's values and NODE_ENV=production and wait for
 * them to exit. Figures go to test-output/reliability/secrets.json.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { CONFIG_SCHEMAS, configVariables, passThroughEnv } from '../../scripts/stack/config-vars.js';
import { DEV_ADMIN, SERVICES, type ServiceName } from '../../scripts/stack/platform.js';
import { freePort, ROOT } from '../../scripts/stack/processes.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const strong = (bytes: number) => randomBytes(bytes).toString('base64url');

/** .env.example's values, as compose would pass them. */
const example: Record<string, string> = Object.fromEntries(
  readFileSync(path.join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2].replace(/^'(.*)'$/, '$1')]),
);

/** Every secret of a schema with the process each belongs to. */
const SECRET_VARS: Array<{ service: ServiceName; variable: string; minLength: number }> = [
  { service: 'auth', variable: 'ADMIN_PASSWORD', minLength: 12 },
  { service: 'booking', variable: 'ADMISSION_TOKEN_SECRET', minLength: 32 },
  { service: 'waiting-room', variable: 'ADMISSION_TOKEN_SECRET', minLength: 32 },
];

/** A production environment every schema with a secret accepts, with strong secrets. */
const goodEnv = (): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  PORT: '3000',
  MONGO_URL: 'mongodb://127.0.0.1:1/onsale',
  REDIS_URL: 'redis://127.0.0.1:1',
  JWT_PUBLIC_KEY: keys.publicKey,
  JWT_PRIVATE_KEY: keys.privateKey,
  ADMIN_EMAIL: 'boss@secrets.test',
  ADMIN_PASSWORD: strong(18),
  ADMISSION_TOKEN_SECRET: strong(36),
});

const figures = { valuesRefused: 0, refusedPerService: {} as Record<string, number>, bootRefusalMs: {} as Record<string, number> };

/** The problems loadConfig reports for `env`, [] when it accepts it. */
function problems(service: ServiceName, env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(CONFIG_SCHEMAS[service], env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

after(() => {
  const dir = path.join(ROOT, 'test-output', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'secrets.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

describe('production refuses published and weak secrets, naming the variable', () => {
  const placeholders = Object.entries(example).filter(([, v]) => /replace-me/.test(v));

  test('the control: strong secrets are accepted in production', () => {
    for (const { service } of SECRET_VARS) assert.deepEqual(problems(service, goodEnv()), [], service);
  });

  test(".env.example's replace-me values and the dev admin password are refused", () => {
    assert.ok(placeholders.length >= 4, `.env.example has its replace-me values: ${placeholders.map(([k]) => k).join(', ')}`);
    const published = [...new Set([...placeholders.map(([, v]) => v), DEV_ADMIN.password, 'change-me', 'Replace-Me-Please-0123456789-abcdefghij'])];
    for (const { service, variable } of SECRET_VARS)
      for (const value of published) {
        const found = problems(service, { ...goodEnv(), [variable]: value });
        assert.ok(
          found.some((p) => p.startsWith(`${variable}: `)),
          `${service} accepted ${variable}=${JSON.stringify(value)} in production (problems: ${JSON.stringify(found)})`,
        );
        figures.valuesRefused++;
        figures.refusedPerService[service] = (figures.refusedPerService[service] ?? 0) + 1;
      }
  });

  test('weak secrets are refused: too short for production, too little variety', () => {
    const weak = ['Xy7!Xy7!Xy7!q', 'a'.repeat(40), 'abcabcabcabcabcabcabcabcabcabcabcabc', '0123456701234567012345670123456701'];
    for (const { service, variable, minLength } of SECRET_VARS)
      for (const value of weak.filter((v) => v.length >= minLength)) {
        const found = problems(service, { ...goodEnv(), [variable]: value });
        assert.ok(
          found.some((p) => p.startsWith(`${variable}: `)),
          `${service} accepted ${variable}=${JSON.stringify(value)}: ${JSON.stringify(found)}`,
        );
        figures.valuesRefused++;
      }
  });

  test("the example's placeholder PEM keys are refused (in every environment)", () => {
    for (const variable of ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY']) {
      const found = problems('auth', { ...goodEnv(), NODE_ENV: 'development', [variable]: example[variable] });
      assert.ok(
        found.some((p) => p.startsWith(`${variable}: `)),
        `${variable}: ${JSON.stringify(found)}`,
      );
    }
  });

  test('development and tests keep working with the development defaults', () => {
    for (const NODE_ENV of ['development', 'test']) {
      assert.deepEqual(problems('auth', { ...goodEnv(), NODE_ENV, ADMIN_PASSWORD: DEV_ADMIN.password }), []);
      assert.deepEqual(problems('booking', { ...goodEnv(), NODE_ENV, ADMISSION_TOKEN_SECRET: example.ADMISSION_TOKEN_SECRET }), []);
    }
  });

  test('auth, booking and the waiting room exit at boot with .env.example values, naming the variable', async () => {
    const port = await freePort();
    await Promise.all(
      (['auth', 'booking', 'waiting-room'] as const).map(async (service) => {
        const variable = service === 'auth' ? 'ADMIN_PASSWORD' : 'ADMISSION_TOKEN_SECRET';
        const started = Date.now();
        const child = spawn(process.execPath, ['--import', 'tsx', SERVICES[service]], {
          cwd: ROOT,
          // Nothing listens at these: a process that passed its config check would sit retrying.
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...goodEnv(), PORT: String(port), [variable]: example[variable] },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => {
          const deadline = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(null);
          }, 30_000);
          child.once('exit', (c) => {
            clearTimeout(deadline);
            resolve(c);
          });
        });
        assert.equal(code, 1, `${service} did not exit at boot with ${variable}=${example[variable]} (stderr: ${stderr.slice(0, 500)})`);
        assert.match(stderr, new RegExp(`Invalid configuration:[\\s\\S]*${variable}: is a published placeholder`), `${service}: ${stderr}`);
        figures.bootRefusalMs[service] = Date.now() - started;
      }),
    );
  });
});

describe('ADMIN_PASSWORD reaches the auth process only', () => {
  test('only auth reads it, and npm start passes it to auth only', () => {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      assert.equal(configVariables(name).includes('ADMIN_PASSWORD'), name === 'auth', name);
      assert.equal('ADMIN_PASSWORD' in passThroughEnv(name, { ADMIN_PASSWORD: 'x' }), name === 'auth', name);
    }
  });

  test('docker-compose.yml gives it to auth, and to the k6 load client (it signs in as the admin to seed its concert) only', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment?: Record<string, unknown> | string[] }>;
    };
    const holders = Object.entries(compose.services)
      // The variable itself, or a value made from it (not Grafana's own GRAFANA_ADMIN_PASSWORD).
      .filter(([, svc]) => /(^|[^A-Z_])ADMIN_PASSWORD\b/.test(JSON.stringify(svc.environment ?? {})))
      .map(([name]) => name)
      .sort();
    assert.deepEqual(holders, ['auth', 'k6']);
  });
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { placeholderGatewayConfig } from '../../../test/api-contract/support/served-routes.js';
import { gatewayConfigSchema } from '../gateway.config.js';
import { upstreamRoutes } from '../routes.js';
import { haproxyConfig, quote, type EdgeListeners } from './haproxy-config.js';

const listeners: EdgeListeners = { host: '127.0.0.1', port: 3000, metricsHost: '127.0.0.1', metricsPort: 8405, gatewayUrl: 'http://127.0.0.1:4000' };

/** `haproxy -c`: HAProxy itself says whether the file is valid (and warns about rules it would reorder). */
function haproxyCheck(cfg: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'haproxy-config-'));
  try {
    writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
    return execFileSync('haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every prefix of the route table is routed to its service, in the table order (first match wins)', () => {
  const config = placeholderGatewayConfig();
  const cfg = haproxyConfig(config, listeners);
  const uses = [...cfg.matchAll(/^ {2}use_backend (\S+) if (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(
    uses,
    upstreamRoutes(config).map((r) => r.name),
  );
  for (const route of upstreamRoutes(config)) {
    assert.match(cfg, new RegExp(`^  acl \\S+ path ${route.prefix}$`, 'm'));
    assert.match(cfg, new RegExp(`^  acl \\S+ path_beg ${route.prefix}/$`, 'm'));
    assert.match(cfg, new RegExp(`^backend ${route.name}$`, 'm'));
  }
  assert.match(cfg, /^ {2}default_backend gateway$/m, 'the Node gateway gets the rest of /api');
});

test('several copies of a service are balanced over; the realtime ones stick to a client', () => {
  const config = { ...placeholderGatewayConfig(), REALTIME_URL: gatewayConfigSchema.shape.REALTIME_URL.parse('http://10.0.0.1:3000, http://10.0.0.2:3000') };
  const cfg = haproxyConfig(config, listeners);
  const realtime = cfg.slice(cfg.indexOf('backend realtime'));
  assert.match(realtime, /balance source/);
  assert.match(realtime, /server realtime-1 10\.0\.0\.1:3000 /);
  assert.match(realtime, /server realtime-2 10\.0\.0\.2:3000 /);
});

test('HAProxy accepts the file, with and without CORS, trusted proxies and the client-address secret, and reorders no rule', () => {
  const base = placeholderGatewayConfig();
  const variants = [
    base,
    {
      ...base,
      CORS_ORIGINS: ['https://tickets.example.com', 'http://localhost:5173'],
      TRUSTED_PROXIES: ['10.0.0.0/8', '::1'],
      CLIENT_ADDRESS_SECRET: 'a secret with "quotes", $dollars and \\backslashes, long enough',
    },
  ];
  for (const config of variants) {
    const output = haproxyCheck(haproxyConfig(config, listeners));
    assert.doesNotMatch(output, /WARNING|ALERT/, output);
  }
});

test('quoted strings keep what HAProxy would otherwise read as quotes, escapes or variables', () => {
  assert.equal(quote('a "b" \\ ${C}'), '"a \\"b\\" \\\\ \\${C}"');
});

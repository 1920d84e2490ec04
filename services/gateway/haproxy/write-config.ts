/**
 * Writes the edge's haproxy.cfg from the gateway's environment (Compose runs it once before
 * HAProxy starts: `node services/gateway/haproxy/write-config.js <file>`). HOST and PORT are
 * where HAProxy listens, EDGE_METRICS_PORT its exporter, GATEWAY_URL the Node gateway.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '../../../lib/config.js';
import { gatewayConfigSchema } from '../gateway.config.js';
import { haproxyConfig } from './haproxy-config.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: write-config <haproxy.cfg to write>');
  process.exit(2);
}
const config = loadConfig(gatewayConfigSchema.extend({ GATEWAY_URL: z.string().url() }));
writeFileSync(
  file,
  haproxyConfig(config, {
    host: config.HOST,
    port: config.PORT,
    metricsHost: config.HOST,
    metricsPort: config.EDGE_METRICS_PORT,
    gatewayUrl: config.GATEWAY_URL,
  }),
);
// HAProxy's image runs as its own user: it must read the file (it sits in a volume only the edge mounts besides this).
chmodSync(file, 0o644);
console.log(`wrote ${file}`);

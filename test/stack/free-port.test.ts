import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { freePort } from '../../scripts/stack/processes.js';

// A port handed to a server we start must not be one the OS can give to an
// outgoing connection meanwhile (the ephemeral range), nor one handed out before.
test('freePort hands out distinct ports below the ephemeral range that a server can bind', async () => {
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = await Promise.all(Array.from({ length: 300 }, () => freePort()));
  assert.equal(new Set(ports).size, ports.length, 'no port handed out twice');
  for (const port of ports) assert.ok(port < ephemeralStart, `port ${port} is in the ephemeral range (from ${ephemeralStart})`);

  // A port someone is listening on is never handed out: hold many, ask for many.
  const held: net.Server[] = [];
  for (let port = 20_000; port < 20_400; port++) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.once('error', () => resolve()).listen(port, '127.0.0.1', () => resolve()));
    held.push(server);
  }
  try {
    const more = await Promise.all(Array.from({ length: 300 }, () => freePort()));
    for (const port of more)
      assert.ok(port >= 20_400 || !held.some((s) => s.listening && (s.address() as net.AddressInfo).port === port), `port ${port} is in use`);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(more[0], '127.0.0.1', () => resolve()));
    server.close();
  } finally {
    for (const s of held) s.close();
  }
});

import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import { clientAddressResolver, isAddressOrSubnet } from './client-address.js';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as http.IncomingMessage;

test('with no trusted proxy the client is the address that connected, whatever it claims', () => {
  const resolve = clientAddressResolver([]);
  assert.equal(resolve(request('127.0.0.1', '203.0.113.9')), '127.0.0.1');
  assert.equal(resolve(request('10.1.2.3', '203.0.113.9, 198.51.100.1')), '10.1.2.3');
  assert.equal(resolve(request('198.51.100.7')), '198.51.100.7');
});

test('behind a trusted balancer the client is the first untrusted hop from the right', () => {
  const resolve = clientAddressResolver(['10.0.0.0/8', '::1']);
  // The balancer appends the real client; what the client wrote before it is ignored.
  assert.equal(resolve(request('10.0.0.5', 'spoofed, 203.0.113.9')), '203.0.113.9');
  assert.equal(resolve(request('::ffff:10.0.0.5', '203.0.113.9')), '203.0.113.9');
  assert.equal(resolve(request('10.0.0.5', '203.0.113.9, 10.0.0.6')), '203.0.113.9');
  // A client that is not the balancer cannot use the header at all.
  assert.equal(resolve(request('198.51.100.7', '203.0.113.9')), '198.51.100.7');
  // Only trusted hops all the way: the leftmost address.
  assert.equal(resolve(request('::1', '10.0.0.9')), '10.0.0.9');
  assert.equal(resolve(request('10.0.0.5')), '10.0.0.5');
});

test('TRUSTED_PROXIES entries are addresses or CIDR subnets', () => {
  for (const ok of ['10.0.0.0/8', '192.168.1.1', '::1', 'fd00::/8', '0.0.0.0/0']) assert.ok(isAddressOrSubnet(ok), ok);
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '::/129', '10.0.0.0/x', '']) assert.ok(!isAddressOrSubnet(bad), bad);
});

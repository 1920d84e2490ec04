import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimitKeyOfIp } from './client-ip.js';

test('IPv6 addresses of one /64 share a key; different /64s do not', () => {
  assert.equal(rateLimitKeyOfIp('2001:db8:aaaa:1:1:2:3:4'), rateLimitKeyOfIp('2001:db8:aaaa:1:ffff:ffff:ffff:ffff'));
  assert.equal(rateLimitKeyOfIp('2001:db8:aaaa:1::9'), '2001:db8:aaaa:1::/64');
  assert.equal(rateLimitKeyOfIp('2001:DB8:AAAA:0001::9'), '2001:db8:aaaa:1::/64');
  assert.equal(rateLimitKeyOfIp('2001:db8::1'), '2001:db8:0:0::/64');
  assert.notEqual(rateLimitKeyOfIp('2001:db8:aaaa:1::1'), rateLimitKeyOfIp('2001:db8:aaaa:2::1'));
  assert.equal(rateLimitKeyOfIp('::1'), '0:0:0:0::/64');
  assert.equal(rateLimitKeyOfIp('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('IPv4 (also IPv4-mapped IPv6) keeps its full address', () => {
  assert.equal(rateLimitKeyOfIp('203.0.113.7'), '203.0.113.7');
  assert.notEqual(rateLimitKeyOfIp('203.0.113.7'), rateLimitKeyOfIp('203.0.113.8'));
  assert.equal(rateLimitKeyOfIp('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(rateLimitKeyOfIp('unknown'), 'unknown');
  assert.equal(rateLimitKeyOfIp(''), 'unknown');
});

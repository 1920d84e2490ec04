import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAddressOrSubnet } from './client-address.js';

test('TRUSTED_PROXIES entries are addresses or CIDR subnets', () => {
  for (const ok of ['10.0.0.0/8', '192.168.1.1', '::1', 'fd00::/8', '0.0.0.0/0']) assert.ok(isAddressOrSubnet(ok), ok);
  for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '::/129', '10.0.0.0/x', '']) assert.ok(!isAddressOrSubnet(bad), bad);
});

/**
 * Per-IP limits count clients, not addresses a client chose. A direct caller of a
 * service's port cannot name its own address (only the gateway can vouch for one: it
 * signs the address it forwards with a secret the stack shares with the services), and
 * an IPv6 client is one client across its /64.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApiClient, startTestPlatform, type ApiResponse, type TestPlatform } from '../support/test-platform.js';

const LOGIN_PER_IP = 20;
let platform: TestPlatform;

const randomIpv4 = () => `203.0.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
const hex = () => randomBytes(2).toString('hex');
const inPrefix = (prefix: string) => `${prefix}:${hex()}:${hex()}:${hex()}:${hex()}`;

/** `count` logins with wrong passwords and fresh emails (so only the per-IP limit can refuse), the i-th from `address(i)`. */
async function failedLogins(api: ApiClient, count: number, address: (i: number) => string): Promise<ApiResponse[]> {
  const answers: ApiResponse[] = [];
  for (let i = 0; i < count; i++) {
    const email = `nobody-${randomBytes(6).toString('hex')}@client-address.example`;
    answers.push(await api.post('/api/v1/auth/login', { email, password: 'wrong-password-123' }, undefined, { 'X-Forwarded-For': address(i) }));
  }
  return answers;
}
const limited = (answers: ApiResponse[]) => answers.filter((a) => a.status === 429).length;

before(async () => {
  platform = await startTestPlatform('client-address', {
    // The gateway believes X-Forwarded-For from 127.0.0.1, standing in for a balancer in front of it.
    serviceEnv: { gateway: { TRUSTED_PROXIES: '127.0.0.1' }, auth: { LOGIN_LIMIT_PER_IP: String(LOGIN_PER_IP), LOGIN_LIMIT_PER_EMAIL: '1000' } },
  });
});
after(() => platform?.stop());

describe('a caller of a service port cannot choose its address', () => {
  test('110 logins straight to the auth port with random X-Forwarded-For are limited as one client', async () => {
    const direct = new ApiClient(platform.serviceUrl('auth'));
    const answers = await failedLogins(direct, 110, randomIpv4);
    assert.ok(limited(answers) >= 110 - LOGIN_PER_IP, `refused ${limited(answers)} of 110 (limit ${LOGIN_PER_IP} per IP)`);
    for (const a of answers) assert.ok(a.status === 401 || a.status === 429, `status ${a.status}`);
  });

  test('a forged client-address signature is not believed either', async () => {
    const direct = new ApiClient(platform.serviceUrl('auth'));
    const answers = await failedLogins(direct, 1, () => randomIpv4());
    const forged = await direct.post('/api/v1/auth/login', { email: 'x@client-address.example', password: 'wrong-password-123' }, undefined, {
      'X-Client-Address': randomIpv4(),
      'X-Client-Address-Signature': randomBytes(32).toString('base64url'),
    });
    // The port's budget is spent (previous test): a forged address is still the same caller.
    assert.equal(limited([...answers, forged]), 2);
  });
});

describe('IPv6 clients are keyed on their /64', () => {
  test('logins from many addresses of one /64 are limited as one client', async () => {
    const answers = await failedLogins(platform.api, LOGIN_PER_IP + 10, () => inPrefix('2001:db8:aaaa:1'));
    assert.equal(limited(answers), 10, `refused ${limited(answers)} of ${LOGIN_PER_IP + 10}`);
  });

  test('two different /64s have a budget each', async () => {
    const answers = await failedLogins(platform.api, 2 * (LOGIN_PER_IP - 2), (i) => inPrefix(i % 2 ? '2001:db8:bbbb:1' : '2001:db8:bbbb:2'));
    assert.equal(limited(answers), 0, `refused ${limited(answers)}`);
  });

  test('IPv4 clients keep a budget per address', async () => {
    const answers = await failedLogins(platform.api, 2 * (LOGIN_PER_IP - 2), (i) => (i % 2 ? '198.51.100.1' : '198.51.100.2'));
    assert.equal(limited(answers), 0, `refused ${limited(answers)}`);
  });
});

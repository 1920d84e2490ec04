// storm: every seeded fan submits at the same instant for a concert with fewer
// seats than fans across three seat types, and waits for its result.
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { bookAsFan, submitInstant } from '../lib/booking-fan.js';

const seed = JSON.parse(open(__ENV.SEED_FILE));
const fans = new SharedArray('fans', () => seed.fans);
// Each VU drives several fans, each with its own socket and requests: a VU is a JavaScript
// runtime of its own, and a thousand of them cost k6 more CPU than the servers it measures.
const FANS_PER_VU = 10;
const vus = Math.ceil(fans.length / FANS_PER_VU);

export const options = {
  scenarios: { storm: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: '3m' } },
  thresholds: {
    http_req_failed: ['rate==0'],
    results_missing: ['count==0'],
    late_submissions: ['count==0'],
    submit_to_result: [`p(95)<${__ENV.P95_TARGET_MS || 5000}`],
  },
  setupTimeout: '60s',
};

export function setup() {
  return { startAt: submitInstant(fans.length) };
}

export default async function ({ startAt }) {
  const seatTypes = seed.concert.seatTypes;
  const first = (exec.vu.idInTest - 1) * FANS_PER_VU;
  const mine = [];
  for (let i = first; i < Math.min(first + FANS_PER_VU, fans.length); i++) {
    mine.push(bookAsFan(seed.baseUrl, fans[i], seed.concert.id, [{ seatTypeId: seatTypes[(i + 1) % seatTypes.length].id }], startAt));
  }
  await Promise.all(mine);
}

// storm: every seeded fan submits at the same instant for a concert with fewer
// seats than fans across three seat types, and waits for its result.
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { bookAsFan } from '../lib/booking-fan.js';

const seed = JSON.parse(open(__ENV.SEED_FILE));
const fans = new SharedArray('fans', () => seed.fans);

export const options = {
  scenarios: { storm: { executor: 'per-vu-iterations', vus: fans.length, iterations: 1, maxDuration: '3m' } },
  thresholds: {
    http_req_failed: ['rate==0'],
    results_missing: ['count==0'],
    submit_to_result: [`p(95)<${__ENV.P95_TARGET_MS || 5000}`],
  },
  setupTimeout: '60s',
};

export default async function () {
  const fan = fans[exec.vu.idInTest - 1];
  const seatTypes = seed.concert.seatTypes;
  await bookAsFan(seed.baseUrl, fan, seed.concert.id, [{ seatTypeId: seatTypes[exec.vu.idInTest % seatTypes.length].id }], seed.startAt);
}

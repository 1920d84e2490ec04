// duplicates: every seeded fan submits 5 times at once (mixed seat types);
// exactly one may be confirmed per fan, the rest already_booked.
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { bookAsFan, submitInstant } from '../lib/booking-fan.js';

const seed = JSON.parse(open(__ENV.SEED_FILE));
const fans = new SharedArray('fans', () => seed.fans);

export const options = {
  scenarios: { duplicates: { executor: 'per-vu-iterations', vus: fans.length, iterations: 1, maxDuration: '3m' } },
  thresholds: {
    http_req_failed: ['rate==0'],
    results_missing: ['count==0'],
    late_submissions: ['count==0'],
    submit_to_result: [`p(95)<${__ENV.P95_TARGET_MS || 5000}`],
  },
};

export function setup() {
  return { startAt: submitInstant(fans.length) };
}

export default async function ({ startAt }) {
  const fan = fans[exec.vu.idInTest - 1];
  const seatTypes = seed.concert.seatTypes;
  const submissions = Array.from({ length: 5 }, (_, i) => ({ seatTypeId: seatTypes[i % seatTypes.length].id }));
  await bookAsFan(seed.baseUrl, fan, seed.concert.id, submissions, startAt);
}

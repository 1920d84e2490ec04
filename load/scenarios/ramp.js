// ramp: a rising arrival rate of booking submissions (Prefer: wait) to find the
// highest sustained decided-bookings/s before p95 passes 1 s or errors appear.
// Fan i books concert floor(n / fans) so no fan books one concert twice.
import http from 'k6/http';
import exec from 'k6/execution';
import { SharedArray } from 'k6/data';
import { Counter, Trend } from 'k6/metrics';

const seed = JSON.parse(open(__ENV.SEED_FILE));
const fans = new SharedArray('fans', () => seed.fans);
const submitToResult = new Trend('submit_to_result', true);
const confirmed = new Counter('bookings_confirmed');
const rejected = new Counter('bookings_rejected');
http.setResponseCallback(http.expectedStatuses(201, 409));

const peak = Number(__ENV.RAMP_PEAK || 1500);
export const options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: 50,
      timeUnit: '1s',
      preAllocatedVUs: 300,
      maxVUs: 1500,
      stages: [
        { target: Math.round(peak / 4), duration: '10s' },
        { target: Math.round(peak / 2), duration: '10s' },
        { target: peak, duration: '20s' },
      ],
    },
  },
  // The ramp deliberately goes past the knee, so latency is not a pass/fail threshold here:
  // load/run.ts reports the highest rate sustained with p95 ≤ 1 s. Errors still fail the run.
  thresholds: { http_req_failed: ['rate==0'] },
};

export default function () {
  const n = exec.scenario.iterationInTest;
  const fan = fans[n % fans.length];
  const concert = seed.rampConcerts[Math.floor(n / fans.length) % seed.rampConcerts.length];
  const started = Date.now();
  const res = http.post(`${seed.baseUrl}/api/v1/bookings`, JSON.stringify({ concertId: concert.id, seatTypeId: concert.seatTypes[0].id }), {
    headers: { Authorization: `Bearer ${fan.token}`, 'Content-Type': 'application/json', Prefer: 'wait=10' },
    tags: { name: 'POST /bookings (wait)' },
  });
  submitToResult.add(Date.now() - started);
  if (res.status === 201) confirmed.add(1);
  else rejected.add(1, { reason: String(res.json('error.code')) });
}

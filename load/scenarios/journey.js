// journey: the whole path of a fan on the night — register, open the socket,
// join the waiting room, wait for admission, book with the admission token,
// receive the result, read my bookings and the confirmation email.
import http from 'k6/http';
import exec from 'k6/execution';
import { setTimeout, clearTimeout } from 'k6/timers';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { openSocket } from '../lib/socket-io.js';

const seed = JSON.parse(open(__ENV.SEED_FILE));
const fanCount = Number(seed.journeyFans);
const submitToResult = new Trend('submit_to_result', true);
const waitForAdmission = new Trend('wait_for_admission', true);
const journeyTime = new Trend('journey_duration', true);
const confirmed = new Counter('bookings_confirmed');
const rejected = new Counter('bookings_rejected');
const missing = new Counter('results_missing');
const emailsSeen = new Counter('emails_seen');
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

export const options = {
  scenarios: { journey: { executor: 'per-vu-iterations', vus: fanCount, iterations: 1, maxDuration: '4m' } },
  thresholds: {
    http_req_failed: ['rate==0'],
    results_missing: ['count==0'],
    submit_to_result: [`p(95)<${__ENV.P95_TARGET_MS || 5000}`],
    checks: ['rate==1'],
  },
};

const json = { 'Content-Type': 'application/json' };

export default async function () {
  const started = Date.now();
  const n = exec.vu.idInTest;
  const reg = http.post(
    `${seed.baseUrl}/api/v1/auth/register`,
    JSON.stringify({ email: `journey-${seed.run}-${n}@load.local`, password: 'load-test-password', name: `Journey ${n}` }),
    { headers: json },
  );
  check(reg, { registered: (r) => r.status === 201 });
  const token = reg.json('accessToken');
  const auth = { Authorization: `Bearer ${token}` };
  const concert = seed.concert;

  await new Promise((resolve) => {
    let joinedAt;
    let submittedAt;
    let requestId;
    let pollTimer;
    let done = false;
    let ws;

    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(pollTimer);
      ws.close();
      resolve();
    };

    const afterResult = (result) => {
      submitToResult.add(Date.now() - submittedAt);
      if (result.status !== 'confirmed') {
        rejected.add(1, { reason: String(result.reason) });
        journeyTime.add(Date.now() - started);
        return finish();
      }
      confirmed.add(1);
      const mine = http.get(`${seed.baseUrl}/api/v1/bookings/my-bookings`, { headers: auth });
      check(mine, { 'my-bookings lists it': (r) => r.status === 200 && r.json().some((b) => b.id === result.booking.id) });
      const until = Date.now() + 60_000;
      const readEmail = () => {
        const emails = http.get(`${seed.baseUrl}/api/v1/notifications`, { headers: auth });
        if (emails.status === 200 && emails.json().some((e) => e.bookingId === result.booking.id)) {
          emailsSeen.add(1);
          journeyTime.add(Date.now() - started);
          return finish();
        }
        if (Date.now() > until) {
          check(null, { 'confirmation email arrived': () => false });
          return finish();
        }
        pollTimer = setTimeout(readEmail, 1000);
      };
      readEmail();
    };

    const book = (admissionToken) => {
      if (submittedAt) return;
      waitForAdmission.add(Date.now() - joinedAt);
      const seatTypeId = concert.seatTypes[n % concert.seatTypes.length].id;
      submittedAt = Date.now();
      const res = http.post(`${seed.baseUrl}/api/v1/bookings`, JSON.stringify({ concertId: concert.id, seatTypeId }), {
        headers: { ...auth, ...json, 'X-Admission-Token': admissionToken },
      });
      if (res.status === 202) {
        requestId = res.json('requestId');
        pollTimer = setTimeout(pollResult, 20_000);
      } else if (res.status === 409) afterResult({ status: 'rejected', reason: res.json('error.code') });
      else {
        missing.add(1);
        finish();
      }
    };

    const pollResult = () => {
      const res = http.get(`${seed.baseUrl}/api/v1/bookings/requests/${requestId}`, { headers: auth });
      if (res.status === 200 && res.json('status') !== 'queued') return afterResult(res.json());
      if (Date.now() - submittedAt > 90_000) {
        missing.add(1);
        return finish();
      }
      pollTimer = setTimeout(pollResult, 1000);
    };

    // Without a socket event, a status poll every 2 s also tells us we are in.
    const pollStatus = () => {
      if (submittedAt || done) return;
      const res = http.get(`${seed.baseUrl}/api/v1/waiting-room/${concert.id}/status`, { headers: auth });
      if (res.status === 200 && res.json('admissionToken')) return book(res.json('admissionToken'));
      if (res.status === 200 && res.json('status') === 'sold_out') {
        rejected.add(1, { reason: 'sold_out_in_line' });
        return finish();
      }
      pollTimer = setTimeout(pollStatus, 2000);
    };

    ws = openSocket(seed.baseUrl, token, {
      onConnect: () => {
        ws.send(`42${JSON.stringify(['waiting-room:watch', { concertId: concert.id }])}`);
        joinedAt = Date.now();
        const join = http.post(`${seed.baseUrl}/api/v1/waiting-room/${concert.id}/join`, null, { headers: auth });
        check(join, { joined: (r) => r.status === 200 });
        if (join.json('admissionToken')) book(join.json('admissionToken'));
        else pollTimer = setTimeout(pollStatus, 2000);
      },
      onEvent: (name, payload) => {
        if (name === 'waiting-room:admitted' && payload.concertId === concert.id) {
          clearTimeout(pollTimer);
          book(payload.admissionToken);
        } else if (name === 'waiting-room:sold-out' && !submittedAt) {
          rejected.add(1, { reason: 'sold_out_in_line' });
          finish();
        } else if (name === 'booking:result' && payload.requestId === requestId) {
          clearTimeout(pollTimer);
          afterResult(payload);
        }
      },
      onRefused: () => {
        missing.add(1);
        finish();
      },
    });
  });
}

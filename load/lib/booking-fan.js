// One virtual fan: open a socket, submit when told, wait for booking:result
// (falling back to REST polling if the socket fails or stays silent), record submit→result.
import http from 'k6/http';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { openSocket } from './socket-io.js';

export const submitToResult = new Trend('submit_to_result', true);
export const confirmed = new Counter('bookings_confirmed');
export const rejected = new Counter('bookings_rejected');
export const missing = new Counter('results_missing');
export const viaRest = new Counter('results_via_rest');
export const socketFailures = new Counter('socket_failures');
/** Fans whose socket was not open by the instant they were to submit: they submitted late. */
export const lateSubmissions = new Counter('late_submissions');

/**
 * The instant every fan submits, chosen in setup(): k6 has initialised every VU by then,
 * so the lead is only for the sockets to open (the fans are on the page before the
 * on-sale; ~3 s for 1,000 handshakes here), not for k6's own start-up (~11 s for 1,000 VUs,
 * which made sockets still opening overlap the submissions when the instant was chosen before k6 started).
 */
export const submitInstant = (fanCount) => Date.now() + 3000 + fanCount * 5;

// 409 is an answer (sold out, already booked), not a failed request.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

const SOCKET_SILENCE_MS = 20_000;
const POLL_EVERY_MS = 1_000;
const GIVE_UP_AFTER_MS = 90_000;

/**
 * Runs `submissions` (each a {seatTypeId}) for one fan at `startAt` (ms since
 * epoch), all at once, and resolves when each has a final answer (or, after
 * GIVE_UP_AFTER_MS, counts the rest as missing).
 */
export function bookAsFan(baseUrl, fan, concertId, submissions, startAt) {
  return new Promise((resolve) => {
    const auth = { Authorization: `Bearer ${fan.token}` };
    const waiting = new Map(); // requestId -> submittedAt
    const early = new Map(); // results that beat the HTTP response: requestId -> {at, result}
    let outstanding = submissions.length;
    let submitted = false;
    let finished = false;
    let timer;
    let ws;

    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        ws.close();
      } catch {
        /* already closed */
      }
      resolve();
    };

    const settle = (ms, result) => {
      submitToResult.add(ms);
      if (result.status === 'confirmed') confirmed.add(1);
      else rejected.add(1, { reason: String(result.reason) });
      if (--outstanding === 0) finish();
    };

    // Requests are asynchronous: one VU drives several fans, and a blocking call would hold them all.
    const poll = async (deadline) => {
      for (const [requestId, submittedAt] of waiting) {
        const res = await http.asyncRequest('GET', `${baseUrl}/api/v1/bookings/requests/${requestId}`, null, {
          headers: auth,
          tags: { name: 'GET /bookings/requests/:id' },
        });
        if (res.status === 200 && res.json('status') !== 'queued' && waiting.has(requestId)) {
          viaRest.add(1);
          waiting.delete(requestId);
          settle(Date.now() - submittedAt, res.json());
        }
      }
      if (finished) return;
      if (Date.now() < deadline) timer = setTimeout(() => poll(deadline), POLL_EVERY_MS);
      else {
        missing.add(waiting.size);
        finish();
      }
    };

    const submit = async () => {
      if (submitted) return;
      submitted = true;
      const headers = { ...auth, 'Content-Type': 'application/json' };
      const params = { headers, tags: { name: 'POST /bookings' } };
      const submittedAt = Date.now();
      const responses = await Promise.all(
        submissions.map((s) => http.asyncRequest('POST', `${baseUrl}/api/v1/bookings`, JSON.stringify({ concertId, seatTypeId: s.seatTypeId }), params)),
      );
      for (const res of responses) {
        if (res.status === 202) {
          const requestId = res.json('requestId');
          const beat = early.get(requestId);
          if (beat) settle(beat.at - submittedAt, beat.result);
          else waiting.set(requestId, submittedAt);
        } else if (res.status === 409) settle(Date.now() - submittedAt, { status: 'rejected', reason: res.json('error.code') });
        else {
          missing.add(1);
          if (--outstanding === 0) finish();
        }
      }
      if (!finished) timer = setTimeout(() => poll(submittedAt + GIVE_UP_AFTER_MS), SOCKET_SILENCE_MS);
    };

    ws = openSocket(baseUrl, fan.token, {
      onConnect: () => {
        if (Date.now() > startAt) lateSubmissions.add(1);
        setTimeout(submit, Math.max(0, startAt - Date.now()));
      },
      // A socket that fails still leaves REST: submit on time and poll.
      onRefused: () => {
        if (finished) return;
        socketFailures.add(1);
        if (!submitted) setTimeout(submit, Math.max(0, startAt - Date.now()));
        else if (!finished) {
          clearTimeout(timer);
          void poll(Date.now() + GIVE_UP_AFTER_MS);
        }
      },
      onEvent: (name, payload) => {
        if (name !== 'booking:result') return;
        const submittedAt = waiting.get(payload.requestId);
        if (submittedAt === undefined) {
          early.set(payload.requestId, { at: Date.now(), result: payload });
          return;
        }
        waiting.delete(payload.requestId);
        settle(Date.now() - submittedAt, payload);
      },
    });
  });
}

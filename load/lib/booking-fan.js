// One virtual fan: open a socket, submit when told, wait for booking:result
// (falling back to REST if the socket stays silent), record submit→result.
import http from 'k6/http';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { openSocket } from './socket-io.js';

export const submitToResult = new Trend('submit_to_result', true);
export const confirmed = new Counter('bookings_confirmed');
export const rejected = new Counter('bookings_rejected');
export const missing = new Counter('results_missing');
export const viaRest = new Counter('results_via_rest');
export const socketRefused = new Counter('sockets_refused');

// 409 is an answer (sold out, already booked), not a failed request.
http.setResponseCallback(http.expectedStatuses(200, 201, 202, 409));

const RESULT_TIMEOUT_MS = 30_000;

/**
 * Runs `submissions` (each a {seatTypeId}) for one fan at `startAt` (ms since
 * epoch), all at once, and resolves when each has a final answer.
 */
export function bookAsFan(baseUrl, fan, concertId, submissions, startAt) {
  return new Promise((resolve) => {
    const waiting = new Map(); // requestId -> submittedAt
    const early = new Map(); // results that beat the HTTP response
    let outstanding = submissions.length;
    let timer;
    let ws;

    const settle = (ms, result) => {
      submitToResult.add(ms);
      if (result.status === 'confirmed') confirmed.add(1);
      else rejected.add(1, { reason: String(result.reason) });
      if (--outstanding === 0) {
        clearTimeout(timer);
        ws.close();
        resolve();
      }
    };

    const pollRemaining = () => {
      for (const [requestId, submittedAt] of waiting) {
        const res = http.get(`${baseUrl}/api/v1/bookings/requests/${requestId}`, { headers: { Authorization: `Bearer ${fan.token}` } });
        if (res.status === 200 && res.json('status') !== 'queued') {
          viaRest.add(1);
          waiting.delete(requestId);
          settle(Date.now() - submittedAt, res.json());
        } else missing.add(1);
      }
      if (outstanding > 0) {
        outstanding = 0;
        ws.close();
        resolve();
      }
    };

    const submit = () => {
      const headers = { Authorization: `Bearer ${fan.token}`, 'Content-Type': 'application/json' };
      const requests = submissions.map((s) => ({ method: 'POST', url: `${baseUrl}/api/v1/bookings`, body: JSON.stringify({ concertId, seatTypeId: s.seatTypeId }), params: { headers, tags: { name: 'POST /bookings' } } }));
      const submittedAt = Date.now();
      const responses = http.batch(requests);
      for (const res of responses) {
        if (res.status === 202) {
          const requestId = res.json('requestId');
          if (early.has(requestId)) settle(early.get(requestId) - submittedAt, early.get(`${requestId}:result`));
          else waiting.set(requestId, submittedAt);
        } else if (res.status === 409) settle(Date.now() - submittedAt, { status: 'rejected', reason: res.json('error.code') });
        else {
          missing.add(1);
          settle(Date.now() - submittedAt, { status: 'rejected', reason: `http_${res.status}` });
        }
      }
      if (outstanding > 0) timer = setTimeout(pollRemaining, RESULT_TIMEOUT_MS);
    };

    ws = openSocket(baseUrl, fan.token, {
      onConnect: () => setTimeout(submit, Math.max(0, startAt - Date.now())),
      onRefused: () => {
        socketRefused.add(1);
        missing.add(submissions.length);
        resolve();
      },
      onEvent: (name, payload) => {
        if (name !== 'booking:result') return;
        const submittedAt = waiting.get(payload.requestId);
        if (submittedAt === undefined) {
          early.set(payload.requestId, Date.now());
          early.set(`${payload.requestId}:result`, payload);
          return;
        }
        waiting.delete(payload.requestId);
        settle(Date.now() - submittedAt, payload);
      },
    });
  });
}

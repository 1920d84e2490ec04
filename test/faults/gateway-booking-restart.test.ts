import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { runStormWithFault, writeReliabilityReport } from './support/storm.js';

let platform: TestPlatform;
let admin: string;

before(async () => {
  // A slower worker (one job at a time) so the storm outlasts the restart: answers are
  // raised before, during and after it, and some must reach sockets that reconnected.
  platform = await startTestPlatform('faults-gateway-booking-restart', { serviceEnv: { 'booking-worker': { WORKER_CONCURRENCY: '1' } } });
  admin = await adminToken(platform);
});
after(() => platform?.stop());

test('the gateway and the booking service (the Socket.IO node) restarted mid-storm: fans reconnect and every one learns its answer', async () => {
  const { report, problems } = await runStormWithFault({
    name: 'gateway-booking-restart',
    fault:
      'every fan has a Socket.IO connection through the edge; once 30 bookings are confirmed the edge (HAProxy and the Node gateway) and the booking service (REST API and Socket.IO node) are stopped (SIGTERM) and started again, while the worker keeps deciding',
    platform,
    admin,
    listen: 'socket',
    async injectFault() {
      const startedAt = Date.now();
      // The edge is HAProxy in front of the Node gateway: both go down and come back.
      await Promise.all([platform.edge!.stop(), platform.services.get('gateway')!.stop(), platform.services.get('booking')!.stop()]);
      const downAt = Date.now();
      await platform.startService('booking');
      await platform.startService('gateway');
      await platform.edge!.restart();
      return { startedAt, endedAt: Date.now(), details: { stoppingMs: downAt - startedAt, endedWhen: 'both answered /health again' } };
    },
  });
  writeReliabilityReport({
    ...report,
    definitions: {
      ...report.definitions,
      recoverMs: 'from the gateway and the booking service answering /health again to the last fan learning its answer (the worker kept deciding meanwhile)',
      answeredVia:
        'how each fan first learned its answer: socket (booking:result), rest-after-reconnect (the client asks GET /bookings/requests/:id after its socket reconnects, since events raised while it was down are not replayed), rest (polling after 15 s without news)',
    },
    recoverMs: report.lastAnswerAfterFaultMs,
  });
  assert.deepEqual(problems, []);
  const sockets = report.sockets as { disconnects: number; reconnects: number };
  assert.ok(sockets.disconnects >= 1000 && sockets.reconnects >= 1000, `every socket was dropped and came back: ${JSON.stringify(sockets)}`);
  assert.ok(report.decidedAfterFault > 0, 'the storm outlasted the restart');
  assert.ok(
    report.answeredViaAfterFault['socket'] > 0,
    `answers decided after the restart reached reconnected sockets: ${JSON.stringify(report.answeredViaAfterFault)}`,
  );
});

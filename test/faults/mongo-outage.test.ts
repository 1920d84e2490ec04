import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { runStormWithFault, writeReliabilityReport } from './support/storm.js';

const OUTAGE_MS = 10_000;

let platform: TestPlatform;
let admin: string;

before(async () => {
  // Ten jobs at a time, so bookings are recorded a few at a time: the outage catches
  // most of the 300 still to be written (with 100 at a time two batches sell out).
  platform = await startTestPlatform('faults-mongo-outage', { serviceEnv: { 'booking-worker': { WORKER_CONCURRENCY: '10' } } });
  admin = await adminToken(platform);
});
after(() => platform?.stop());

test('the MongoDB-wire server stopped for 10 s mid-storm: nothing is confirmed without a record, and every request has exactly one final answer', async () => {
  const { report, problems } = await runStormWithFault({
    name: 'mongo-outage',
    fault: `FerretDB (the record) is killed once 30 bookings are confirmed and started again ${OUTAGE_MS / 1000} s later; Redis, the queue and every service stay up`,
    platform,
    admin,
    // The last try of a booking that still cannot be recorded gives its seat back and says so.
    alsoAllowed: ['service_unavailable'],
    async injectFault({ queue, confirmedCount }) {
      const confirmedAtStop = await confirmedCount();
      const startedAt = Date.now();
      // SIGKILL: gone at once (a graceful stop lets it finish what it is serving first).
      await platform.ferretdb!.process.kill();
      const { active: activeAtStop } = await queue.getJobCounts('active');
      await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - startedAt)));
      const { waiting, delayed, active } = await queue.getJobCounts('waiting', 'delayed', 'active');
      await platform.ferretdb!.restart();
      return {
        startedAt,
        endedAt: Date.now(),
        details: {
          confirmedAtStop,
          jobsActiveAtStop: activeAtStop,
          beforeRestart: { waiting, delayed, active },
          endedWhen: 'FerretDB accepted connections again',
        },
      };
    },
  });
  writeReliabilityReport(report);
  assert.deepEqual(problems, []);
  assert.ok(report.confirmedAfterFault > 0, 'bookings were still to be recorded when MongoDB came back (else the outage proved nothing)');
});

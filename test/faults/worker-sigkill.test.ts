import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminToken } from '../support/fans.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { runStormWithFault, writeReliabilityReport } from './support/storm.js';

let platform: TestPlatform;
let admin: string;

before(async () => {
  // Short locks so a killed worker's jobs are retried within seconds.
  platform = await startTestPlatform('faults-worker-sigkill', {
    serviceEnv: { 'booking-worker': { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' } },
  });
  admin = await adminToken(platform);
});
after(() => platform?.stop());

test('a booking worker killed with SIGKILL mid-storm, then restarted: every request has exactly one final answer', async () => {
  const { report, problems } = await runStormWithFault({
    name: 'worker-sigkill',
    fault:
      'the only booking worker is killed with SIGKILL (no graceful shutdown: jobs in flight, batched MongoDB writes pending) once 30 bookings are confirmed, and a new worker is started',
    platform,
    admin,
    async injectFault({ queue, confirmedCount }) {
      const startedAt = Date.now();
      await platform.services.get('booking-worker')!.kill();
      const [confirmedAtKill, { active: activeAtKill }] = await Promise.all([confirmedCount(), queue.getJobCounts('active')]);
      await platform.startService('booking-worker');
      return { startedAt, endedAt: Date.now(), details: { confirmedAtKill, jobsActiveAtKill: activeAtKill, endedWhen: 'the new worker answered /health' } };
    },
  });
  writeReliabilityReport(report);
  assert.deepEqual(problems, []);
  const { confirmedAtKill, jobsActiveAtKill } = report.faultWindow!.details as { confirmedAtKill: number; jobsActiveAtKill: number };
  assert.ok(confirmedAtKill < report.confirmed, `the kill came too late to prove anything (${confirmedAtKill} already confirmed)`);
  assert.ok(jobsActiveAtKill > 0, 'jobs were in flight when the worker died');
});

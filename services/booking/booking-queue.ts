import type { Queue } from 'bullmq';
import { BOOKING_JOBS, type ReserveJobData } from '../../lib/queues.js';
import type { BookingRequestDoc } from '../../lib/records/booking-request.record.js';

/** Finished booking jobs are kept this long: the reconciler tells a lost job from a removed one by the decision in the record. */
export const KEEP_FINISHED_JOBS_SECONDS = 3600;

/** Queues a booking request's job; the job id is the request id, so queuing it twice adds one job. */
export function bookingJobQueuer(queue: Pick<Queue, 'add'>, opts: { attempts: number; backoffMs: number }) {
  return (job: ReserveJobData) =>
    queue.add(BOOKING_JOBS.reserve, job, {
      jobId: job.requestId,
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffMs },
      removeOnComplete: { age: KEEP_FINISHED_JOBS_SECONDS, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
}

/** The job of an accepted request, as the record has it. */
export const jobOf = (r: BookingRequestDoc, opts: { requeued?: boolean } = {}): ReserveJobData => ({
  requestId: String(r._id),
  userId: r.userId,
  userEmail: r.userEmail,
  concertId: r.concertId,
  seatTypeId: r.seatTypeId,
  submittedAt: r.submittedAt.getTime(),
  ...(r.offerId ? { offerId: r.offerId } : {}),
  ...(opts.requeued ? { requeued: true } : {}),
});

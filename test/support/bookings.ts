import type { Booking, BookingRequestStatus, ErrorBody, RejectionDetails } from './api-types.js';
import type { ApiClient, ApiResponse } from './test-platform.js';

export interface FinalAnswer {
  requestId?: string;
  status: 'confirmed' | 'rejected';
  reason?: string;
  bookingId?: string;
}

/** Reads a submission answered with Prefer: wait as a final answer (201 or 409). */
export function finalAnswerOf(res: ApiResponse): FinalAnswer {
  if (res.status === 201) {
    const booking = res.body as Booking;
    return { requestId: booking.id, status: 'confirmed', bookingId: booking.id };
  }
  if (res.status === 409) {
    const { error } = res.body as ErrorBody<RejectionDetails>;
    return { requestId: error.details?.requestId, status: 'rejected', reason: error.code };
  }
  throw new Error(`not a final answer: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Polls GET /bookings/requests/:id until every request is decided (a deadline, no fixed sleeps). */
export async function pollFinalAnswers(api: ApiClient, token: string, requestIds: string[], timeoutMs = 60_000): Promise<Map<string, FinalAnswer>> {
  const answers = new Map<string, FinalAnswer>();
  const until = Date.now() + timeoutMs;
  while (answers.size < requestIds.length) {
    const open = requestIds.filter((id) => !answers.has(id));
    for (let i = 0; i < open.length; i += 100) {
      await Promise.all(
        open.slice(i, i + 100).map(async (id) => {
          const res = await api.get<BookingRequestStatus>(`/api/v1/bookings/requests/${id}`, token);
          if (res.status !== 200) throw new Error(`request ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          if (res.body.status !== 'queued')
            answers.set(id, { requestId: id, status: res.body.status, reason: res.body.reason, bookingId: res.body.booking?.id });
        }),
      );
    }
    if (answers.size < requestIds.length) {
      if (Date.now() > until) throw new Error(`${requestIds.length - answers.size} requests without a final answer after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return answers;
}

export function tally(answers: Iterable<FinalAnswer>) {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status === 'confirmed' ? 'confirmed' : `rejected:${a.reason}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

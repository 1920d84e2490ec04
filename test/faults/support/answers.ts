import type { BookingRequestStatus } from '../../support/api-types.js';
import type { ApiClient } from '../../support/test-platform.js';

/** How a fan learned a final answer. */
export type AnswerSource = 'rest' | 'socket' | 'rest-after-reconnect';

export interface ObservedAnswer {
  status: 'confirmed' | 'rejected';
  reason?: string;
  bookingId?: string;
  /** When the fan learned it (ms since epoch, this process's clock). */
  at: number;
  via: AnswerSource;
}

export interface StormRequest {
  requestId: string;
  fanToken: string;
  submittedAt: number;
}

const sameAnswer = (a: Pick<ObservedAnswer, 'status' | 'reason' | 'bookingId'>, b: Pick<ObservedAnswer, 'status' | 'reason' | 'bookingId'>) =>
  a.status === b.status && (a.reason ?? '') === (b.reason ?? '') && (a.bookingId ?? '') === (b.bookingId ?? '');

/**
 * What every fan was told, as the fans saw it: the first final answer per
 * request, plus everything that would make it "answered twice" (a second
 * Socket.IO event, or a later read that says something else).
 */
export class AnswerBook {
  readonly first = new Map<string, ObservedAnswer>();
  readonly socketEvents = new Map<string, number>();
  /** Requests whose later answer differed from the first one. */
  readonly changed = new Set<string>();
  /** REST reads that answered 404 (the request unknown) while it had no answer yet. */
  unknownReads = 0;
  /** REST reads that failed (connection refused, 5xx) and were retried. */
  failedReads = 0;

  constructor(readonly requests: Map<string, StormRequest>) {}

  get open(): StormRequest[] {
    return [...this.requests.values()].filter((r) => !this.first.has(r.requestId));
  }

  record(requestId: string, answer: Omit<ObservedAnswer, 'at'>) {
    if (!this.requests.has(requestId)) return;
    if (answer.via === 'socket') this.socketEvents.set(requestId, (this.socketEvents.get(requestId) ?? 0) + 1);
    const earlier = this.first.get(requestId);
    if (!earlier) this.first.set(requestId, { ...answer, at: Date.now() });
    else if (!sameAnswer(earlier, answer)) this.changed.add(requestId);
  }

  /** Requests answered more than once: a repeated socket event, or a different later answer. */
  get duplicates(): string[] {
    const repeated = [...this.socketEvents].filter(([, n]) => n > 1).map(([id]) => id);
    return [...new Set([...repeated, ...this.changed])];
  }

  /** One GET /bookings/requests/:id with the fan's own token. Returns true when the request has a final answer now. */
  async read(api: ApiClient, request: StormRequest, via: AnswerSource): Promise<boolean> {
    let res;
    try {
      res = await api.get<BookingRequestStatus>(`/api/v1/bookings/requests/${request.requestId}`, request.fanToken);
    } catch {
      this.failedReads++;
      return false;
    }
    if (res.status === 404) {
      this.unknownReads++;
      return false;
    }
    if (res.status !== 200) {
      this.failedReads++;
      return false;
    }
    if (res.body.status !== 'confirmed' && res.body.status !== 'rejected') return false;
    this.record(request.requestId, { status: res.body.status, reason: res.body.reason, bookingId: res.body.booking?.id, via });
    return true;
  }

  /**
   * Polls the open requests the way a fan without a socket would (each fan its
   * own, a few hundred reads in flight at most, a pause between rounds) until all
   * are answered or the deadline passes. `which` narrows the requests polled.
   */
  async pollUntilAnswered(api: ApiClient, deadline: number, which: (r: StormRequest) => boolean = () => true, via: AnswerSource = 'rest') {
    while (this.open.length && Date.now() < deadline) {
      const due = this.open.filter(which);
      for (let i = 0; i < due.length; i += 100) await Promise.all(due.slice(i, i + 100).map((r) => this.read(api, r, via)));
      if (this.open.length) await new Promise((r) => setTimeout(r, 300));
    }
  }

  /**
   * After the storm: reads every request once more. A final answer that differs
   * from the first one counts as answered twice; one that can no longer be read
   * (404, or "queued" again) is forgotten.
   */
  async verify(api: ApiClient): Promise<{ forgotten: string[] }> {
    const forgotten: string[] = [];
    const all = [...this.first.keys()];
    for (let i = 0; i < all.length; i += 100) {
      await Promise.all(
        all.slice(i, i + 100).map(async (requestId) => {
          const request = this.requests.get(requestId)!;
          const res = await api.get<BookingRequestStatus>(`/api/v1/bookings/requests/${requestId}`, request.fanToken);
          if (res.status !== 200 || (res.body.status !== 'confirmed' && res.body.status !== 'rejected')) {
            forgotten.push(requestId);
            return;
          }
          if (!sameAnswer(this.first.get(requestId)!, { status: res.body.status, reason: res.body.reason, bookingId: res.body.booking?.id }))
            this.changed.add(requestId);
        }),
      );
    }
    return { forgotten };
  }
}

import type { QueueEvents } from 'bullmq';
import type { Decision } from '../../lib/booking-requests.js';
import type { DecisionDoc } from '../../lib/records/booking.record.js';

/** Without a wake-up (a missed event, Redis failing over), the record is read again this often. */
const READ_AGAIN_MS = 1000;

/**
 * Lets `Prefer: wait` submitters await a decision. The decision is read from the
 * record only; BullMQ's `completed` events of the bookings queue just say when
 * to read it again (one event stream per process, no state of its own), so a
 * missed event costs at most a second.
 */
export function createDecisionWaiter(events: Pick<QueueEvents, 'on'>, findDecision: (requestId: string) => Promise<DecisionDoc | null>) {
  const waiting = new Map<string, Set<() => void>>();
  const settledListeners: Array<(requestId: string, decision: Decision | undefined) => void> = [];
  const wake = ({ jobId, returnvalue }: { jobId: string; returnvalue?: unknown }) => {
    for (const resolve of waiting.get(jobId) ?? []) resolve();
    // A completed job's return value is the decision it recorded (booking.worker.ts).
    const decision = typeof returnvalue === 'object' && returnvalue !== null ? (returnvalue as Decision) : undefined;
    for (const listener of settledListeners) listener(jobId, decision);
  };
  events.on('completed', wake);
  events.on('failed', wake);

  return {
    /**
     * Called with a request id whenever its job finishes (its decision is then in the
     * record), with the decision the job recorded when it completed.
     */
    onSettled(listener: (requestId: string, decision: Decision | undefined) => void) {
      settledListeners.push(listener);
    },
    /** The request's decision once it is in the record, or null after `timeoutMs`. */
    async wait(requestId: string, timeoutMs: number): Promise<DecisionDoc | null> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        let resolve!: () => void;
        // Listening before reading: a decision recorded in between still wakes us.
        const woken = new Promise<void>((r) => (resolve = r));
        const listeners = waiting.get(requestId) ?? new Set();
        waiting.set(requestId, listeners.add(resolve));
        const timer = setTimeout(resolve, Math.max(0, Math.min(READ_AGAIN_MS, until - Date.now())));
        try {
          // The record unreadable for a moment: keep waiting, the answer is 202 at worst.
          const decision = await findDecision(requestId).catch(() => null);
          if (decision || Date.now() >= until) return decision;
          await woken;
        } finally {
          clearTimeout(timer);
          listeners.delete(resolve);
          if (!listeners.size) waiting.delete(requestId);
        }
      }
    },
    get pending() {
      return waiting.size;
    },
  };
}

export type DecisionWaiter = ReturnType<typeof createDecisionWaiter>;

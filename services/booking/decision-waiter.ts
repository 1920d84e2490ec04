import type { Redis } from 'ioredis';
import { DECISIONS_CHANNEL, type Decision } from '../../lib/booking-requests.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Lets `Prefer: wait` submitters await a decision: one subscription to the
 * decisions channel per process, dispatched to whoever waits for that request.
 * `onDecision` sees every decision (the request journal forgets decided requests).
 */
export function createDecisionWaiter(subscriber: Redis, logger: Logger, onDecision?: (d: Decision) => void) {
  const waiting = new Map<string, Array<(d: Decision) => void>>();
  void subscriber.subscribe(DECISIONS_CHANNEL).catch((err) => logger.error({ err }, 'cannot subscribe to decisions'));
  subscriber.on('message', (_channel: string, message: string) => {
    let decision: Decision;
    try {
      decision = JSON.parse(message) as Decision;
    } catch {
      return;
    }
    onDecision?.(decision);
    const resolvers = waiting.get(decision.requestId);
    if (!resolvers) return;
    waiting.delete(decision.requestId);
    for (const resolve of resolvers) resolve(decision);
  });

  return {
    /**
     * Registers interest before the job is queued (so the answer cannot be missed);
     * the promise resolves with the decision, or undefined after `timeoutMs`.
     */
    register(requestId: string, timeoutMs: number): Promise<Decision | undefined> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          const list = waiting.get(requestId)?.filter((r) => r !== done);
          if (list?.length) waiting.set(requestId, list);
          else waiting.delete(requestId);
          resolve(undefined);
        }, timeoutMs);
        const done = (d: Decision) => {
          clearTimeout(timer);
          resolve(d);
        };
        waiting.set(requestId, [...(waiting.get(requestId) ?? []), done]);
      });
    },
    get pending() {
      return waiting.size;
    },
  };
}

export type DecisionWaiter = ReturnType<typeof createDecisionWaiter>;

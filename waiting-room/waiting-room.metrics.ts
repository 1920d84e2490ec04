import client from 'prom-client';
import { OTHER_CONCERT, perConcert, type ConcertLabels } from '../lib/concert-labels.js';
import { LruMap } from '../lib/lru-map.js';
import type { AdvanceResult } from './line.repository.js';

/**
 * Waiting-room flow for the dashboards: per-concert line length and admissions,
 * labelled through `concertLabels` (the concerts on sale, others as `other`).
 * A tick stores its numbers; the gauges add them up per label when Prometheus
 * scrapes, so `other` is the sum of its concerts rather than whichever ticked last.
 */
export function createWaitingRoomMetrics(registry: client.Registry, labels: ConcertLabels) {
  const latest = new LruMap<string, AdvanceResult>(10_000);
  const totals = (pick: (r: AdvanceResult) => number, withOther: boolean) => {
    const sums = new Map<string, number>();
    for (const [concertId, result] of latest) {
      const label = labels.of(concertId);
      if (label === OTHER_CONCERT && !withOther) continue;
      sums.set(label, (sums.get(label) ?? 0) + pick(result));
    }
    return sums;
  };
  const gauge = (name: string, help: string, pick: (r: AdvanceResult) => number, withOther = true) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['concert'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [concert, value] of totals(pick, withOther)) this.set({ concert }, value);
      },
    });
  gauge('waiting_room_waiting', 'Fans waiting in line (and pre-queue)', (r) => r.waiting);
  // A sum of serving counters means nothing: `other` has none.
  gauge('waiting_room_serving', 'The serving counter: the line position admitted up to', (r) => r.serving, false);
  gauge('waiting_room_active', 'Admitted fans holding a slot', (r) => r.active);
  const admitted = new client.Counter({ name: 'waiting_room_admitted_total', help: 'Fans admitted', labelNames: ['concert'], registers: [registry] });
  const dropped = new client.Counter({
    name: 'waiting_room_dropped_total',
    help: 'Fans who lost their place',
    labelNames: ['concert', 'reason'],
    registers: [registry],
  });
  // Made once per label at 0, so rate() shows 0, not nothing, and sees the first admissions.
  const flow = perConcert(
    labels,
    (concert) => {
      const children = {
        admitted: admitted.labels({ concert }),
        expired: dropped.labels({ concert, reason: 'admission_expired' }),
        abandoned: dropped.labels({ concert, reason: 'abandoned' }),
      };
      for (const c of Object.values(children)) c.inc(0);
      return children;
    },
    (concert) => {
      admitted.remove({ concert });
      dropped.remove({ concert, reason: 'admission_expired' });
      dropped.remove({ concert, reason: 'abandoned' });
    },
  );
  labels.watch({ added: () => undefined, removed: (concert) => latest.delete(concert) });
  const statusReads = new client.Counter({
    name: 'waiting_room_status_reads_total',
    help: "Status answers, and the Redis reads behind them (a line snapshot, or one fan's place), to show the caches at work",
    labelNames: ['kind'],
    registers: [registry],
  });
  return {
    onStatus: () => statusReads.inc({ kind: 'answer' }),
    onSnapshotRead: () => statusReads.inc({ kind: 'redis_snapshot' }),
    onPlaceRead: () => statusReads.inc({ kind: 'redis_place' }),
    onTick(concertId: string, result: AdvanceResult) {
      latest.set(concertId, result);
      const children = flow(concertId);
      if (result.admitted.length) children.admitted.inc(result.admitted.length);
      if (result.expired) children.expired.inc(result.expired);
      if (result.abandoned) children.abandoned.inc(result.abandoned);
    },
  };
}

export type WaitingRoomMetrics = ReturnType<typeof createWaitingRoomMetrics>;

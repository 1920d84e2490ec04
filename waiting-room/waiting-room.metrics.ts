import client from 'prom-client';
import type { AdvanceResult } from './line.repository.js';

/** Waiting-room flow for the dashboards: per-concert line length and admissions. */
export function createWaitingRoomMetrics(registry: client.Registry) {
  const waiting = new client.Gauge({
    name: 'waiting_room_waiting',
    help: 'Fans waiting in line (and pre-queue)',
    labelNames: ['concert'],
    registers: [registry],
  });
  const serving = new client.Gauge({
    name: 'waiting_room_serving',
    help: 'The serving counter: the line position admitted up to',
    labelNames: ['concert'],
    registers: [registry],
  });
  const active = new client.Gauge({ name: 'waiting_room_active', help: 'Admitted fans holding a slot', labelNames: ['concert'], registers: [registry] });
  const admitted = new client.Counter({ name: 'waiting_room_admitted_total', help: 'Fans admitted', labelNames: ['concert'], registers: [registry] });
  const dropped = new client.Counter({
    name: 'waiting_room_dropped_total',
    help: 'Fans who lost their place',
    labelNames: ['concert', 'reason'],
    registers: [registry],
  });
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
      waiting.set({ concert: concertId }, result.waiting);
      active.set({ concert: concertId }, result.active);
      serving.set({ concert: concertId }, result.serving);
      // Incremented even by 0, so every concert's series exist from its first tick and rate() shows 0, not nothing.
      admitted.inc({ concert: concertId }, result.admitted.length);
      dropped.inc({ concert: concertId, reason: 'admission_expired' }, result.expired);
      dropped.inc({ concert: concertId, reason: 'abandoned' }, result.abandoned);
    },
  };
}

export type WaitingRoomMetrics = ReturnType<typeof createWaitingRoomMetrics>;

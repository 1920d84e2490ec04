import { Types } from 'mongoose';
import type { AuditActor, AuditLog } from '../lib/audit-log.js';
import { AppError } from '../lib/errors.js';
import type { ConcertCache } from '../lib/records/concert-cache.js';
import type { ConcertModel } from '../lib/records/concert.record.js';
import type { LineRepository, LiveControls } from './line.repository.js';
import { roomSettings, withControls, type RoomDefaults, type RoomSettings } from './room-settings.js';

/** What every control endpoint answers: the settings in effect from the next tick on. */
export interface LineControls {
  paused: boolean;
  draining: boolean;
  admitPerSecond: number;
  /** 0 for no cap */
  maxActive: number;
  claimWindowSeconds: number;
  graceSeconds: number;
}

export interface LineSettingsPatch {
  admitPerSecond?: number;
  maxActive?: number;
  claimWindowSeconds?: number;
  graceSeconds?: number;
}

export interface LineStatsAnswer {
  concertId: string;
  waiting: number;
  /** fans holding an admission now (booked or not) */
  admitted: number;
  serving: number;
  admissionRatePerSecond: number;
  /** over the latest 1,000 admissions; null before the first */
  timeInLine: { p50Seconds: number | null; p95Seconds: number | null };
  /** admissions whose claim window passed without a booking */
  noShows: number;
  paused: boolean;
  draining: boolean;
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const answerOf = (s: RoomSettings): LineControls => ({
  paused: s.paused,
  draining: s.draining,
  admitPerSecond: s.admitPerSecond,
  maxActive: s.maxActive,
  claimWindowSeconds: Math.round(s.claimWindowMs / 1000),
  graceSeconds: Math.round(s.graceMs / 1000),
});

/**
 * The operator's controls of a live line (CONTRACT.md): each change is written to the
 * concert record first (a restart, or a Redis that lost its data, keeps it), then to
 * the line's Redis state, which the next tick reads whichever process ticks (the
 * concert cache may be seconds old), then to the audit log once it took effect.
 */
export function createLineControls(opts: { lines: LineRepository; concerts: ConcertCache; records: ConcertModel; audit: AuditLog; defaults: RoomDefaults }) {
  const { lines } = opts;

  async function current(concertId: string): Promise<RoomSettings> {
    const concert = await opts.concerts.get(concertId);
    const settings = concert && roomSettings(concert, opts.defaults);
    if (!settings?.enabled) throw new AppError('not_found', 'This concert has no waiting room');
    return withControls(settings, (await lines.snapshot(concertId)).controls);
  }

  async function apply(actor: AuditActor, concertId: string, action: string, change: LiveControls, record: Record<string, unknown>) {
    const before = await current(concertId);
    const $set = Object.fromEntries(Object.entries(record).map(([field, value]) => [`waitingRoom.${field}`, value]));
    await opts.records.updateOne({ _id: new Types.ObjectId(concertId) }, { $set });
    await lines.setControls(concertId, change);
    const after = answerOf(withControls(before, change));
    await opts.audit.record(concertId, actor, action, record);
    return after;
  }

  return {
    pause: (actor: AuditActor, concertId: string) => apply(actor, concertId, 'line.pause', { paused: true }, { paused: true }),
    /** Admissions go on and new fans are taken again (undoes pause and drain). */
    resume: (actor: AuditActor, concertId: string) =>
      apply(actor, concertId, 'line.resume', { paused: false, draining: false }, { paused: false, draining: false }),
    /** No new fans; those in line keep moving. */
    drain: (actor: AuditActor, concertId: string) => apply(actor, concertId, 'line.drain', { draining: true }, { draining: true }),

    settings(actor: AuditActor, concertId: string, patch: LineSettingsPatch) {
      const change: LiveControls = {
        ...(patch.admitPerSecond !== undefined ? { admitPerSecond: patch.admitPerSecond } : {}),
        ...(patch.maxActive !== undefined ? { maxActive: patch.maxActive } : {}),
        ...(patch.claimWindowSeconds !== undefined ? { claimWindowMs: patch.claimWindowSeconds * 1000 } : {}),
        ...(patch.graceSeconds !== undefined ? { graceMs: patch.graceSeconds * 1000 } : {}),
      };
      return apply(actor, concertId, 'line.settings', change, { ...patch });
    },

    async stats(concertId: string): Promise<LineStatsAnswer> {
      const settings = await current(concertId);
      const stats = await lines.stats(concertId);
      const waits = [...stats.waitsMs].sort((a, b) => a - b);
      const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);
      return {
        concertId,
        waiting: stats.waiting,
        admitted: stats.admitted,
        serving: stats.serving,
        admissionRatePerSecond: Math.round(stats.rate * 100) / 100,
        timeInLine: { p50Seconds: seconds(percentile(waits, 50)), p95Seconds: seconds(percentile(waits, 95)) },
        noShows: stats.noShows,
        paused: settings.paused,
        draining: settings.draining,
      };
    },
  };
}

export type LineControlsService = ReturnType<typeof createLineControls>;

import type { ConcertDoc } from '../lib/records/concert.record.js';
import type { LiveControls } from './line.repository.js';

export interface RoomDefaults {
  admitPerSecond: number;
  claimWindowSeconds: number;
  graceSeconds: number;
}

export interface RoomSettings {
  concertId: string;
  enabled: boolean;
  /** 0 when the line opens at once */
  opensAtMs: number;
  startsAtMs: number;
  admitPerSecond: number;
  /** 0 for no cap */
  maxActive: number;
  /** how long an admitted fan has to book before the slot goes to the next fan */
  claimWindowMs: number;
  /** how long a place is kept after the fan's last sign of life */
  graceMs: number;
  paused: boolean;
  draining: boolean;
  seatTypeIds: string[];
}

/** A concert's waiting-room settings with this process's defaults filled in. */
export function roomSettings(concert: ConcertDoc, defaults: RoomDefaults): RoomSettings {
  const wr = concert.waitingRoom ?? { enabled: false };
  return {
    concertId: String(concert._id),
    enabled: Boolean(wr.enabled),
    opensAtMs: wr.opensAt ? new Date(wr.opensAt).getTime() : 0,
    startsAtMs: new Date(concert.startsAt).getTime(),
    admitPerSecond: wr.admitPerSecond ?? defaults.admitPerSecond,
    maxActive: wr.maxActive ?? 0,
    // tokenTtlSeconds is the claim window's earlier name (the token lives exactly as long as the admission).
    claimWindowMs: (wr.claimWindowSeconds ?? wr.tokenTtlSeconds ?? defaults.claimWindowSeconds) * 1000,
    graceMs: (wr.graceSeconds ?? defaults.graceSeconds) * 1000,
    paused: Boolean(wr.paused),
    draining: Boolean(wr.draining),
    seatTypeIds: concert.seatTypes.map((s) => String(s._id)),
  };
}

/** The settings in effect: the operator's live controls (Redis, set within the tick) over the concert record's. */
export function withControls(settings: RoomSettings, controls: LiveControls): RoomSettings {
  const defined = Object.fromEntries(Object.entries(controls).filter(([, v]) => v !== undefined)) as LiveControls;
  return { ...settings, ...defined };
}

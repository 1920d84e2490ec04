import type { ConcertDoc } from '../lib/records/concert.record.js';

export interface RoomSettings {
  concertId: string;
  enabled: boolean;
  /** 0 when the line opens at once */
  opensAtMs: number;
  startsAtMs: number;
  admitPerSecond: number;
  /** 0 for no cap */
  maxActive: number;
  tokenTtlMs: number;
  seatTypeIds: string[];
}

/** A concert's waiting-room settings with this process's defaults filled in. */
export function roomSettings(concert: ConcertDoc, defaults: { admitPerSecond: number; tokenTtlSeconds: number }): RoomSettings {
  const wr = concert.waitingRoom ?? { enabled: false };
  return {
    concertId: String(concert._id),
    enabled: Boolean(wr.enabled),
    opensAtMs: wr.opensAt ? new Date(wr.opensAt).getTime() : 0,
    startsAtMs: new Date(concert.startsAt).getTime(),
    admitPerSecond: wr.admitPerSecond ?? defaults.admitPerSecond,
    maxActive: wr.maxActive ?? 0,
    tokenTtlMs: (wr.tokenTtlSeconds ?? defaults.tokenTtlSeconds) * 1000,
    seatTypeIds: concert.seatTypes.map((s) => String(s._id)),
  };
}

/**
 * Bounds of a line's per-concert settings, shared by the concert's creation body and the
 * operator's live controls so both accept the same values. The claim window may be short
 * (tests use a few seconds); the grace period must outlast the socket heartbeat several times.
 */
export const LINE_SETTING_BOUNDS = {
  admitPerSecond: { min: 1, max: 10_000 },
  maxActive: { min: 0, max: 1_000_000 },
  claimWindowSeconds: { min: 3, max: 3600 },
  graceSeconds: { min: 15, max: 24 * 3600 },
} as const;

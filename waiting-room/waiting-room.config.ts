import { z } from 'zod';
import { commonEnv, positiveInt, secret } from '../lib/config.js';
import { PRESENCE_HEARTBEAT_MS } from '../lib/waiting-room-keys.js';

export const waitingRoomConfigSchema = z.object({
  ...commonEnv,
  /** HS256 secret shared with the booking service, which verifies the admission tokens. */
  ADMISSION_TOKEN_SECRET: secret(32),
  /** How often the ticker advances each line; the rate is exact regardless (credits earned per elapsed ms). */
  WAITING_ROOM_TICK_MS: positiveInt.default(200),
  /**
   * `waiting-room:update` goes to every fan in a line at most this often: each one is
   * a frame per connected fan, so 10,000 fans at 2/s is already 20,000 frames a second.
   */
  WAITING_ROOM_UPDATE_MS: positiveInt.default(500),
  /**
   * For concerts that leave `graceSeconds` out: a waiting fan with no socket and no status
   * poll for this long loses the place. Long, so a phone that sleeps or a train through a
   * tunnel keeps it; the line never waits for absent fans (admission takes the next fans waiting,
   * and an admitted fan who does not book within the claim window loses the slot).
   */
  DEFAULT_GRACE_SECONDS: positiveInt
    .default(600)
    .refine((v) => v * 1000 > PRESENCE_HEARTBEAT_MS * 2, `must be well above the socket presence heartbeat (${PRESENCE_HEARTBEAT_MS} ms)`),
  /** Status answers are computed from a per-process snapshot of each line this old at most. */
  STATUS_CACHE_MS: positiveInt.default(250),
  /**
   * Joins one client IP may make per window before `429 rate_limited`: a flood of
   * accounts from one machine. Fans behind one NAT share an IP, so this is far above
   * what a household needs; the IP is the one the gateway vouches for (never a client-written X-Forwarded-For).
   */
  WAITING_ROOM_JOIN_LIMIT_PER_IP: positiveInt.default(300),
  WAITING_ROOM_JOIN_WINDOW_MS: positiveInt.default(60_000),
  /** Joins one account may make per window (a page load joins once; a script re-joining in a loop is refused). */
  WAITING_ROOM_JOIN_LIMIT_PER_ACCOUNT: positiveInt.default(60),
  /** Defaults for concerts whose waiting-room settings leave them out. */
  DEFAULT_ADMIT_PER_SECOND: positiveInt.default(10),
  /** How long an admitted fan has to book before the slot goes to the next fan (the admission token lives as long). */
  DEFAULT_CLAIM_WINDOW_SECONDS: positiveInt.default(60),
});

export type WaitingRoomConfig = z.infer<typeof waitingRoomConfigSchema>;

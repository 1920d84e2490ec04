/**
 * Redis keys of one concert's waiting room. They share the `{concert:<id>}` hash
 * tag with the inventory, so the line scripts touch a single Redis Cluster slot
 * and the booking service can free an admission slot next to the stock.
 */
export function waitingRoomKeys(concertId: string) {
  const tag = `{concert:${concertId}}`;
  return {
    /**
     * hash: seq (last position handed out), serving, waiting, opened ("1" once the pre-queue is ordered), soldOut, credits,
     * lastTickMs, rate (measured admissions/s), aliveShare (share of positions reaching the front still
     * waiting, for ETAs), noShows (admissions that ended unused), and the operator's live controls
     * (paused, draining, admitPerSecond, maxActive, claimWindowMs, graceMs: they win over the concert record's values)
     */
    state: `${tag}:wr:state`,
    /** hash: fanId -> position (fans with a place in line, waiting or admitted) */
    positions: `${tag}:wr:positions`,
    /** zset: fanId -> random score; fans who joined before opensAt, ordered by the score at opening */
    preQueue: `${tag}:wr:pre-queue`,
    /** zset: fanId -> position; fans still waiting after opening */
    line: `${tag}:wr:line`,
    /** zset: fanId -> last sign of life (ms); only waiting fans are in it */
    seen: `${tag}:wr:seen`,
    /** zset: fanId -> admission expiry (ms); admitted fans holding a slot (maxActive counts these) */
    active: `${tag}:wr:active`,
    /** zset: fanId -> admission expiry (ms); every admission still valid, booked or not */
    admitted: `${tag}:wr:admitted`,
    /** hash: fanId -> admission time (ms) of the admission in `admitted` (the token's iat) */
    admittedAt: `${tag}:wr:admitted-at`,
    /** hash: fanId -> "<admission expiry ms>|<Idempotency-Key>": the admission a booking used (one booking per admission) */
    used: `${tag}:wr:used`,
    /** hash: fanId -> join time (ms) while waiting: time in line is measured from it */
    joined: `${tag}:wr:joined`,
    /** list: the time in line (ms) of the latest admissions, newest first (operator stats: p50/p95) */
    waits: `${tag}:wr:waits`,
    /** lease of the one waiting-room process advancing this concert's line */
    tickerLease: `${tag}:wr:ticker`,
  };
}

/** Concerts whose line a ticker must advance (a registry, outside any concert's slot). */
export const ACTIVE_WAITING_ROOMS_KEY = 'waiting-rooms:active';

/** Socket.IO room of everyone watching one concert's line (`waiting-room:update`, `waiting-room:sold-out`). */
export const lineRoom = (concertId: string) => `waiting-room:${concertId}`;

/** Sockets refresh their fans' sign of life this often; abandonment timeouts must be longer. */
export const PRESENCE_HEARTBEAT_MS = 5_000;

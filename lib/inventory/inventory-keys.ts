/**
 * Redis keys of one concert's inventory. They all share the `{concert:<id>}` hash
 * tag, so every script touches a single Redis Cluster slot.
 */
export function concertKeys(concertId: string) {
  const tag = `{concert:${concertId}}`;
  return {
    /**
     * hash: loaded ("1" once complete), startsAtMs, capacity:<seatTypeId>, epoch (one per load), runId (the Redis
     * server run that loaded it), and the operator's cut-offs: salesClosedAtMs, closed:<seatTypeId> ("1")
     */
    meta: `${tag}:meta`,
    /** hash: userId -> hold ("<requestId>|<seatTypeId>|<seatNo>|<decidedAtMs>", "x|" prefix while cancelling) */
    holders: `${tag}:fans`,
    /** list of free seat numbers of one seat type; its length is what remains */
    freeSeats: (seatTypeId: string) => `${tag}:seats:${seatTypeId}`,
    /** lease of the one cancel of a booking in progress */
    cancelLease: (bookingId: string) => `${tag}:cancelling:${bookingId}`,
    /** held by the one process adding a seat type to this concert */
    seatTypeLock: `${tag}:seat-type-lock`,
    /** held by the one process rebuilding this concert from MongoDB, or applying an operator's change to it */
    rebuildLock: `${tag}:rebuild-lock`,
  };
}

/** Return codes of join-line-7.lua (see its header). */
export enum JoinCode {
  Joined = 1,
  AlreadyInLine = 2,
  PreQueued = 3,
  AlreadyPreQueued = 4,
  Draining = 5,
}

/** Return codes of renew-lease-1.lua. */
export enum RenewLeaseCode {
  Lost = 0,
  Renewed = 1,
}

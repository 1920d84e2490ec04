import { concertKeys } from '../inventory/inventory-keys.js';

/** The choice of a fan who takes a seat of any type. */
export const ANY_SEAT_TYPE = 'any';

/**
 * Redis keys of one concert's waiting list. They share the concert's `{concert:<id>}`
 * hash tag, so the scripts that free a seat and offer it touch one Cluster slot.
 */
export function waitingListKeys(concertId: string) {
  const tag = `{concert:${concertId}}`;
  return {
    /** hash: userId -> "<choice>|<seq>|<offerId or empty>" (choice: a seatTypeId or "any") */
    fans: `${tag}:wl:fans`,
    /** zset of the fans waiting for one choice: userId -> seq (join order); the head is offered first */
    line: (choice: string) => `${tag}:wl:line:${choice}`,
    /** hash: offerId -> "<userId>|<seatTypeId>|<seatNo>|<expiresAtMs>|<createdAtMs>" */
    offers: `${tag}:wl:offers`,
    /** zset of one seat type's open offers: offerId -> expiresAtMs */
    due: (seatTypeId: string) => `${tag}:wl:due:${seatTypeId}`,
    /** hash: seq (last join number), offerSeq, version (bumped on every change, for pushes) */
    stats: `${tag}:wl:stats`,
  };
}

/** The nine keys every script that may give a seat of `seatTypeId` away takes, in its header's order. */
export function seatGivingKeys(concertId: string, seatTypeId: string): string[] {
  const k = concertKeys(concertId);
  const w = waitingListKeys(concertId);
  return [k.meta, k.holders, k.freeSeats(seatTypeId), w.line(seatTypeId), w.line(ANY_SEAT_TYPE), w.fans, w.offers, w.due(seatTypeId), w.stats];
}

/** Concerts that have (or had) a waiting list, for the ticker: a hint, rebuilt from the record after Redis lost it. */
export const WAITING_LIST_CONCERTS_KEY = '{waiting-list}:concerts';

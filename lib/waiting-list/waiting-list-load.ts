import type { ChainableCommander } from 'ioredis';
import { ANY_SEAT_TYPE, waitingListKeys } from './waiting-list-keys.js';

/** A concert's waiting list as the record says, ready to be written into Redis with its inventory. */
export interface WaitingListSnapshot {
  /** Fans waiting (no open offer), any order. */
  waiting: Array<{ userId: string; choice: string; seq: number }>;
  /** Open offers, at most one per seat and one per fan. */
  offers: Array<{ offerId: string; userId: string; choice: string; seq: number; seatTypeId: string; seatNo: number; expiresAtMs: number; createdAtMs: number }>;
  /** The last join number given, so new joins go after every recorded one. */
  seq: number;
  /** The concert's offer lifetime, when it sets one. */
  offerTtlMs?: number;
}

/** Seats of one seat type held by open offers: on no free list. */
export function offeredSeatNos(snapshot: WaitingListSnapshot | undefined, seatTypeId: string): number[] {
  return (snapshot?.offers ?? []).filter((o) => o.seatTypeId === seatTypeId).map((o) => o.seatNo);
}

/**
 * Adds the waiting list's keys to the MULTI that loads a concert's inventory, so the
 * free seats, the holds and the offers are written together (an offered seat is never
 * also free). Without a snapshot the list's keys are left as they are.
 */
export function writeWaitingList(tx: ChainableCommander, concertId: string, seatTypeIds: string[], snapshot: WaitingListSnapshot | undefined) {
  if (!snapshot) return;
  const w = waitingListKeys(concertId);
  tx.del(w.fans, w.offers, w.stats, w.line(ANY_SEAT_TYPE), ...seatTypeIds.flatMap((id) => [w.line(id), w.due(id)]));
  const fans: Record<string, string> = {};
  for (const fan of snapshot.waiting) {
    fans[fan.userId] = `${fan.choice}|${fan.seq}|`;
    tx.zadd(w.line(fan.choice), fan.seq, fan.userId);
  }
  const offers: Record<string, string> = {};
  for (const o of snapshot.offers) {
    fans[o.userId] = `${o.choice}|${o.seq}|${o.offerId}`;
    offers[o.offerId] = `${o.userId}|${o.seatTypeId}|${o.seatNo}|${o.expiresAtMs}|${o.createdAtMs}`;
    tx.zadd(w.due(o.seatTypeId), o.expiresAtMs, o.offerId);
  }
  if (Object.keys(fans).length) tx.hset(w.fans, fans);
  if (Object.keys(offers).length) tx.hset(w.offers, offers);
  tx.hset(w.stats, { seq: String(snapshot.seq), version: String(Date.now()) });
}

import { z } from 'zod';
import { objectIdString } from '../../../lib/validation.js';

/** Joining: one seat type, or any (no seatTypeId). */
export const joinWaitingListBody = z.object({ seatTypeId: objectIdString.optional() }).strict();

/** What a fan sees of their place (and pushed as `waiting-list:update`). */
export interface WaitingListStatus {
  concertId: string;
  status: 'waiting' | 'offered';
  /** The seat type waited for; null: any. */
  seatTypeId: string | null;
  /** 1 = next; 0 once offered. */
  position: number;
  ahead: number;
  offer?: PublicOffer;
}

/** An open offer as the fan sees it (pushed as `waiting-list:offer`). */
export interface PublicOffer {
  offerId: string;
  concertId: string;
  seatTypeId: string;
  seatTypeName: string;
  price: number;
  expiresAt: string;
}

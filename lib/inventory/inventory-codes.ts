/** Return codes of the inventory Lua scripts (see each script's header). */
export enum ReserveCode {
  Reserved = 1,
  AlreadyReservedHere = 2,
  NotLoaded = -1,
  ConcertStarted = -2,
  AlreadyBooked = -3,
  SoldOut = -4,
  UnknownSeatType = -5,
  /** reserve-offered-seat-9.lua only: no open waiting-list offer of this id for this fan. */
  OfferNotOpen = -6,
  SeatTypeClosed = -7,
  SalesClosed = -8,
}

/** close-seat-type-1, close-sales-1, move-start-2 (the operator's changes). */
export enum OperatorCode {
  Done = 1,
  NotLoaded = -1,
  ConcertStarted = -2,
  UnknownSeatType = -5,
  HasSales = -9,
}

export enum BeginCancelCode {
  Ok = 1,
  NotLoaded = -1,
  ConcertStarted = -2,
  NotHeld = -3,
  InProgress = -4,
}

export enum ReleaseCode {
  Released = 1,
  NotLoaded = -1,
  NotHeld = -3,
}

export enum SettleCode {
  Unchanged = 0,
  Repaired = 1,
  NotLoaded = -1,
  HeldByAnother = -3,
}

export enum AbortCancelCode {
  Restored = 1,
  NotHeld = -3,
}

import type { RejectionReason } from '../booking-requests.js';

export const REJECTION_BY_CODE: Partial<Record<ReserveCode, RejectionReason>> = {
  [ReserveCode.ConcertStarted]: 'concert_started',
  [ReserveCode.AlreadyBooked]: 'already_booked',
  [ReserveCode.SoldOut]: 'sold_out',
  [ReserveCode.UnknownSeatType]: 'not_found',
  [ReserveCode.OfferNotOpen]: 'offer_not_open',
  [ReserveCode.SeatTypeClosed]: 'seat_type_closed',
  [ReserveCode.SalesClosed]: 'sales_closed',
};

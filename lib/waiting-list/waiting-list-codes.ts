import { randomBytes } from 'node:crypto';

/** Return codes of the waiting-list Lua scripts (see each script's header). */
export enum JoinCode {
  Joined = 1,
  AlreadyWaiting = 2,
  Offered = 3,
  NotLoaded = -1,
  ConcertStarted = -2,
  AlreadyBooked = -3,
  SeatsAvailable = -4,
  UnknownSeatType = -5,
  OtherChoice = -6,
}

export enum LeaveCode {
  Left = 1,
  NotWaiting = 0,
  Offered = 3,
  OtherChoice = -6,
}

export enum DeclineCode {
  Declined = 1,
  NotLoaded = -1,
  NoSuchOffer = -6,
}

export enum AddSeatsCode {
  Added = 1,
  Unchanged = 0,
  NotLoaded = -1,
}

/** reserve-offered-seat-9.lua answers with ReserveCode's values, and this one of its own. */
export const OFFER_NOT_OPEN = -6;

/** Offer ids are "<nonce>.<n>": a fresh random nonce per script call, n from the concert's counter. */
export const offerNonce = () => randomBytes(6).toString('hex');
export const OFFER_ID_PATTERN = /^[a-f0-9]{12}\.\d{1,12}$/;

--[[
  Decides a booking request that accepts a waiting-list offer, atomically: the
  offered seat becomes the fan's hold and the offer closes. Like reserve-seat-3
  (same output), but the seat comes from the offer, never from the free list.
  A fan who holds another seat by now cannot accept: the offer passes on.

  Input:
    KEYS[1..9] seatGivingKeys() of the seat type (lib/waiting-list/waiting-list-keys.ts)

    ARGV[1] userId
    ARGV[2] requestId
    ARGV[3] seatTypeId
    ARGV[4] offerId
    ARGV[5] nonce for the id of an offer made when this one passes on

  Output:
    { code, seatNo, decidedAtMs, heldSeatTypeId, epoch }
      code  1 Reserved             the offered seat was taken now
            2 AlreadyReservedHere  this request reserved before (a retry); same seat
           -1 NotLoaded            rebuild from MongoDB, then retry
           -2 ConcertStarted
           -3 AlreadyBooked        the fan holds (or is cancelling) another booking
           -7 SeatTypeClosed / -8 SalesClosed  an operator's cut-off (includes/sales-cut-off); the offer stays
                                   until it expires
           -6 OfferNotOpen         no open offer of this id for this fan and seat type (expired,
                                   declined, accepted by another request); an expired one passes on
]]
local userId = ARGV[1]
local requestId = ARGV[2]
local seatTypeId = ARGV[3]
local offerId = ARGV[4]
local nonce = ARGV[5]

--- @include "includes/now-ms"
--- @include "includes/parse-hold"
--- @include "includes/stale-after-restart"
--- @include "includes/seat-giving-keys"
--- @include "includes/give-seat"
--- @include "includes/sales-cut-off"

local k = seatGivingKeys()
local meta = redis.call('HMGET', k.meta, 'loaded', 'startsAtMs', 'epoch', 'runId')
local epoch = meta[3] or ''
if meta[1] ~= '1' or staleAfterRestart(k.meta, meta[4]) then
  return { -1, 0, 0, '', '' }
end

local now = nowMs()
local offer = redis.call('HGET', k.offers, offerId)
local offeredTo, offeredSeatTypeId, seatNo, expiresAt
if offer then
  offeredTo, offeredSeatTypeId, seatNo, expiresAt = parseOffer(offer)
end
local ours = offer and offeredTo == userId and offeredSeatTypeId == seatTypeId

local hold = redis.call('HGET', k.holders, userId)
if hold then
  local heldRequestId, heldSeatTypeId, heldSeatNo, decidedAt, cancelling = parseHold(hold)
  if heldRequestId == requestId and not cancelling then
    return { 2, tonumber(heldSeatNo), tonumber(decidedAt), heldSeatTypeId, epoch }
  end
  if ours then
    closeOffer(k, offerId, userId)
    giveSeat(k, seatTypeId, seatNo, now, nonce)
  end
  return { -3, 0, 0, '', epoch }
end
if now >= tonumber(meta[2]) then
  return { -2, 0, 0, '', epoch }
end
local cutOff = salesCutOff(k.meta, seatTypeId, now)
if cutOff then
  return { cutOff, 0, 0, '', epoch }
end
if not ours then
  return { -6, 0, 0, '', epoch }
end
if now >= expiresAt then
  closeOffer(k, offerId, userId)
  giveSeat(k, seatTypeId, seatNo, now, nonce)
  return { -6, 0, 0, '', epoch }
end
closeOffer(k, offerId, userId)
redis.call('HSET', k.holders, userId, requestId .. '|' .. seatTypeId .. '|' .. seatNo .. '|' .. now)
return { 1, tonumber(seatNo), now, seatTypeId, epoch }

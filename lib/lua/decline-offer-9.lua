--[[
  A fan declines an open offer: it closes, the fan leaves the list, and the seat
  passes on in this same step (to the next waiting fan, else to the free list).

  Input:
    KEYS[1..9] seatGivingKeys() of the offer's seat type (lib/waiting-list/waiting-list-keys.ts)

    ARGV[1] userId
    ARGV[2] offerId
    ARGV[3] seatTypeId the caller read for the offer
    ARGV[4] nonce for the id of the offer made next

  Output:
    { code, nextOfferId }
      code  1 Declined      nextOfferId: the seat's next offer, or "" (it went to the free list)
           -1 NotLoaded     rebuild from MongoDB, then retry
           -6 NoSuchOffer   not open, not this fan's, or of another seat type
]]
local userId = ARGV[1]
local offerId = ARGV[2]
local seatTypeId = ARGV[3]
local nonce = ARGV[4]

--- @include "includes/now-ms"
--- @include "includes/stale-after-restart"
--- @include "includes/seat-giving-keys"
--- @include "includes/give-seat"

local k = seatGivingKeys()
local meta = redis.call('HMGET', k.meta, 'loaded', 'runId')
if meta[1] ~= '1' or staleAfterRestart(k.meta, meta[2]) then
  return { -1, '' }
end
local offer = redis.call('HGET', k.offers, offerId)
if not offer then
  return { -6, '' }
end
local offeredTo, offeredSeatTypeId, seatNo = parseOffer(offer)
if offeredTo ~= userId or offeredSeatTypeId ~= seatTypeId then
  return { -6, '' }
end
closeOffer(k, offerId, userId)
return { 1, giveSeat(k, seatTypeId, seatNo, nowMs(), nonce) or '' }

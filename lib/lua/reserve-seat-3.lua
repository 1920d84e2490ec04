--[[
  Decides one booking request, atomically: refuses when the concert has started,
  when the fan already holds a seat for this concert, or when the seat type is
  sold out; otherwise takes the next free seat and marks the fan as its holder.

  A retried job (the worker died after reserving) finds its own hold and gets
  the same seat back instead of being refused as a duplicate.

  Input:
    KEYS[1] concert meta      {concert:<id>}:meta    hash: loaded, startsAtMs, capacity:<seatTypeId>, epoch, runId,
                                                       salesClosedAtMs, closed:<seatTypeId> (see includes/sales-cut-off)
    KEYS[2] holders           {concert:<id>}:fans    hash: userId -> hold
    KEYS[3] free seats        {concert:<id>}:seats:<seatTypeId>   list of free seat numbers

    ARGV[1] userId
    ARGV[2] requestId
    ARGV[3] seatTypeId

  Output:
    { code, seatNo, decidedAtMs, heldSeatTypeId, epoch }
      code  1 Reserved             a seat was taken now
            2 AlreadyReservedHere  this request reserved before (a retry); same seat
           -1 NotLoaded            the concert's keys are missing, or were loaded before Redis
                                   restarted (they may lack its last writes): rebuild from MongoDB, then retry
           -2 ConcertStarted
           -3 AlreadyBooked        the fan holds (or is cancelling) another booking
           -4 SoldOut
           -5 UnknownSeatType
           -7 SeatTypeClosed       an operator closed this seat type (close-seat-type-1)
           -8 SalesClosed          an operator closed sales (close-sales-1), by this server's clock
      epoch  the load this decision was made in (see settle-hold-3.lua)
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local freeSeatsKey = KEYS[3]
local userId = ARGV[1]
local requestId = ARGV[2]
local seatTypeId = ARGV[3]

--- @include "includes/now-ms"
--- @include "includes/parse-hold"
--- @include "includes/stale-after-restart"
--- @include "includes/sales-cut-off"

local meta = redis.call('HMGET', metaKey, 'loaded', 'startsAtMs', 'capacity:' .. seatTypeId, 'epoch', 'runId')
local epoch = meta[4] or ''
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[5]) then
  return { -1, 0, 0, '', '' }
end

local hold = redis.call('HGET', holdersKey, userId)
if hold then
  local heldRequestId, heldSeatTypeId, heldSeatNo, decidedAt, cancelling = parseHold(hold)
  if heldRequestId == requestId and not cancelling then
    return { 2, tonumber(heldSeatNo), tonumber(decidedAt), heldSeatTypeId, epoch }
  end
  return { -3, 0, 0, '', epoch }
end

local now = nowMs()
if now >= tonumber(meta[2]) then
  return { -2, 0, 0, '', epoch }
end
if not meta[3] then
  return { -5, 0, 0, '', epoch }
end
local cutOff = salesCutOff(metaKey, seatTypeId, now)
if cutOff then
  return { cutOff, 0, 0, '', epoch }
end

local seatNo = redis.call('LPOP', freeSeatsKey)
if not seatNo then
  return { -4, 0, 0, '', epoch }
end
redis.call('HSET', holdersKey, userId, requestId .. '|' .. seatTypeId .. '|' .. seatNo .. '|' .. now)
return { 1, tonumber(seatNo), now, seatTypeId, epoch }

--[[
  The cheap look before a booking request is queued: whether the concert has
  started (by this Redis server's clock, the one reserve-seat-3 decides with, so
  no host's clock can refuse a booking early), whether the fan holds a seat and
  whether the seat type is sold out. Changes nothing; reserve-seat-3 still decides.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, startsAtMs, salesClosedAtMs, closed:<seatTypeId>)
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] free seats     {concert:<id>}:seats:<seatTypeId>

    ARGV[1] userId
    ARGV[2] seatTypeId

  Output:
    { loaded, started, holds, remaining, nowMs, cutOff }
      loaded     1 when the concert's keys are complete, else 0 (and the rest is 0)
      started    1 when the concert has started
      holds      1 when the fan holds (or is cancelling) a seat of this concert
      remaining  free seats of this seat type
      nowMs      this server's time
      cutOff     0 while on sale, else reserve-seat-3's code: -8 SalesClosed, -7 SeatTypeClosed
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local freeSeatsKey = KEYS[3]
local userId = ARGV[1]
local seatTypeId = ARGV[2]

--- @include "includes/now-ms"
--- @include "includes/sales-cut-off"

local now = nowMs()
local meta = redis.call('HMGET', metaKey, 'loaded', 'startsAtMs')
if meta[1] ~= '1' then
  return { 0, 0, 0, 0, now, 0 }
end
local started = 0
if now >= tonumber(meta[2]) then
  started = 1
end
return { 1, started, redis.call('HEXISTS', holdersKey, userId), redis.call('LLEN', freeSeatsKey), now, salesCutOff(metaKey, seatTypeId, now) or 0 }

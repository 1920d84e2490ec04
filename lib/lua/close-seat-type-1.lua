--[[
  Closes one seat type: from now on reserve-seat-3 refuses it (SeatTypeClosed);
  bookings decided before stay. Closing twice is the same as once.
  The caller holds the concert's rebuild lock (inventory-loader withRebuildLock), so no
  load from an older read of the record lands after it.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId, capacity:<seatTypeId>, closed:<seatTypeId>)

    ARGV[1] seatTypeId

  Output:
     1 Closed (now or before)
    -1 NotLoaded        keys missing or stale after a restart: load them, then retry
    -5 UnknownSeatType
]]
local metaKey = KEYS[1]
local seatTypeId = ARGV[1]

--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId', 'capacity:' .. seatTypeId)
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return -1
end
if not meta[3] then
  return -5
end
redis.call('HSET', metaKey, 'closed:' .. seatTypeId, '1')
return 1

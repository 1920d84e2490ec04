--[[
  Closes a concert's sales now, by this Redis server's clock (the one reserve-seat-3
  decides with): every reservation decided from this instant on is refused
  (SalesClosed). A second close keeps the first cut-off, so a retry answers the same.
  The caller holds the concert's rebuild lock (inventory-loader withRebuildLock), so no
  load from an older read of the record lands after it.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId, salesClosedAtMs)

  Output:
    { code, salesClosedAtMs }
      code  1 Closed (now or before), at salesClosedAtMs
           -1 NotLoaded   keys missing or stale after a restart: load them, then retry
]]
local metaKey = KEYS[1]

--- @include "includes/now-ms"
--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId', 'salesClosedAtMs')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return { -1, 0 }
end
if meta[3] then
  return { 1, tonumber(meta[3]) }
end
local now = nowMs()
redis.call('HSET', metaKey, 'salesClosedAtMs', now)
return { 1, now }

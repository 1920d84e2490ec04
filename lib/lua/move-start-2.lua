--[[
  Moves a concert's start, only while nothing is sold or held: no fan holds a seat
  (a reservation on its way into the record, a confirmed booking, a cancel in
  progress). Checked and changed in one step, so no booking can slip in between.
  The caller holds the concert's rebuild lock (inventory-loader withRebuildLock), so no
  load from an older read of the record lands after it.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId, startsAtMs)
    KEYS[2] holders        {concert:<id>}:fans

    ARGV[1] new startsAtMs

  Output:
     1 Moved
    -1 NotLoaded       keys missing or stale after a restart: load them, then retry
    -2 ConcertStarted  the current start has passed, by this server's clock
    -9 HasSales        some fan holds a seat
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local startsAtMs = ARGV[1]

--- @include "includes/now-ms"
--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId', 'startsAtMs')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return -1
end
if nowMs() >= tonumber(meta[3]) then
  return -2
end
if redis.call('HLEN', holdersKey) > 0 then
  return -9
end
redis.call('HSET', metaKey, 'startsAtMs', startsAtMs)
return 1

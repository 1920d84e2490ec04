--[[
  Whether a concert's keys are loaded and were loaded by this run of the Redis server.
  Keys a lagging replica holds after a failover (or an AOF restart kept) say loaded, but
  may lack writes the record has: they are marked not loaded here, as every deciding
  script does, so the caller rebuilds them before reading anything from them.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId)

  Output:
    1 loaded, 0 not loaded (or stale: now marked so)
]]
local metaKey = KEYS[1]

--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return 0
end
return 1

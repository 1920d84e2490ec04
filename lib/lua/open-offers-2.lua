--[[
  A concert's open waiting-list offers, only from keys this run of the Redis server
  loaded: the offer announcer closes in the record every open offer Redis lacks, and
  keys a lagging replica holds after a failover lack offers that are open.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId)
    KEYS[2] offers         {concert:<id>}:wl:offers

  Output:
    { 1, offerId, offer, offerId, offer, ... }, or { -1 } NotLoaded (or stale: now marked so)
]]
local metaKey = KEYS[1]
local offersKey = KEYS[2]

--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return { -1 }
end
local answer = redis.call('HGETALL', offersKey)
table.insert(answer, 1, 1)
return answer

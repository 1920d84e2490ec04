--[[
  Sets how long a waiting-list offer holds its seat, for offers made from now on
  (give-seat.lua reads it from meta on each offer; an open offer keeps its expiry).
  The record is written first and the caller holds the concert's rebuild lock
  (inventory-loader withRebuildLock): when the keys are not loaded, the load reads the
  new setting from the record, and the retry finds it already set.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, runId, offerTtlMs)

    ARGV[1] offerTtlMs

  Output:
     1 Done
    -1 NotLoaded   keys missing or stale after a restart: load them, then retry
]]
local metaKey = KEYS[1]
local offerTtlMs = ARGV[1]

--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'runId')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[2]) then
  return -1
end
redis.call('HSET', metaKey, 'offerTtlMs', offerTtlMs)
return 1

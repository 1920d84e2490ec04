--- @include "server-run-id"

-- True when the concert's keys were loaded by another run of this Redis server:
-- they may be behind the record (writes lost in the restart), so they are marked
-- not loaded and the caller rebuilds them from MongoDB before deciding anything.
local function staleAfterRestart(metaKey, loadedByRunId)
  if loadedByRunId == serverRunId() then
    return false
  end
  redis.call('HSET', metaKey, 'loaded', '0')
  return true
end

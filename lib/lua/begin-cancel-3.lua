--[[
  The moment a cancellation is decided: refuses from the concert's start on,
  otherwise marks the fan's hold as being cancelled so nothing else changes it
  while the record is updated. The seat is given back by release-seat-3 only
  after MongoDB says cancelled, so a new holder can never collide with the old record.
  One cancel of a booking runs at a time (a short lease, so a cancel that died
  half-way can be retried once it lapses).

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, startsAtMs, runId)
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] cancel lease   {concert:<id>}:cancelling:<bookingId>

    ARGV[1] userId (the booking's holder)
    ARGV[2] bookingId
    ARGV[3] lease length in milliseconds

  Output:
    { code, decidedAtMs }
      code  1 Ok              marked (or already marked by an earlier try of this cancel)
           -1 NotLoaded       keys missing, or loaded before Redis restarted: rebuild from MongoDB, then retry
           -2 ConcertStarted
           -3 NotHeld         the fan's hold is not this booking (already cancelled?)
           -4 InProgress      another cancel of this booking holds the lease
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local leaseKey = KEYS[3]
local userId = ARGV[1]
local bookingId = ARGV[2]
local leaseMs = tonumber(ARGV[3])

--- @include "includes/now-ms"
--- @include "includes/parse-hold"
--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'startsAtMs', 'runId')
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[3]) then
  return { -1, 0 }
end
local now = nowMs()
if now >= tonumber(meta[2]) then
  return { -2, 0 }
end
local hold = redis.call('HGET', holdersKey, userId)
if not hold then
  return { -3, 0 }
end
local heldRequestId, _, _, _, cancelling = parseHold(hold)
if heldRequestId ~= bookingId then
  return { -3, 0 }
end
if not redis.call('SET', leaseKey, '1', 'PX', leaseMs, 'NX') then
  return { -4, 0 }
end
if not cancelling then
  redis.call('HSET', holdersKey, userId, 'x|' .. hold)
end
return { 1, now }

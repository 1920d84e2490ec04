--[[
  Called after a reservation is recorded in MongoDB. If the concert's keys were
  rebuilt from the record between the reservation and the write (Redis lost
  them), the rebuild could not see this booking: put its hold back and take its
  seat off the free list, so Redis agrees with the record again.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (its "epoch" changes on every load)
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] free seats     {concert:<id>}:seats:<seatTypeId>

    ARGV[1] userId
    ARGV[2] requestId (the booking id)
    ARGV[3] seatTypeId
    ARGV[4] seatNo
    ARGV[5] decidedAtMs
    ARGV[6] epoch the reservation was made in

  Output:
     0 nothing to do (same epoch, or the hold is already there)
     1 repaired
    -1 NotLoaded: the next rebuild reads the record
    -3 the fan holds another booking now: left alone
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local freeSeatsKey = KEYS[3]
local userId = ARGV[1]
local requestId = ARGV[2]
local seatTypeId = ARGV[3]
local seatNo = ARGV[4]
local decidedAt = ARGV[5]
local epoch = ARGV[6]

--- @include "includes/parse-hold"

local meta = redis.call('HMGET', metaKey, 'loaded', 'epoch')
if meta[1] ~= '1' then
  return -1
end
if meta[2] == epoch then
  return 0
end
local hold = redis.call('HGET', holdersKey, userId)
if hold then
  local heldRequestId = parseHold(hold)
  if heldRequestId == requestId then
    return 0
  end
  return -3
end
redis.call('HSET', holdersKey, userId, requestId .. '|' .. seatTypeId .. '|' .. seatNo .. '|' .. decidedAt)
redis.call('LREM', freeSeatsKey, 0, seatNo)
return 1

--[[
  An operator adds seats to a seat type: capacity goes from ARGV[1] to ARGV[2], and
  each new seat (numbers from+1..to) is given away in this same step, the waiting
  list first (includes/give-seat), the rest to the free list. Record the new
  capacity in MongoDB first: a rebuild reads it there. Applied once: a repeated
  call (capacity already moved) changes nothing.

  Input:
    KEYS[1..9] seatGivingKeys() of the seat type (lib/waiting-list/waiting-list-keys.ts)

    ARGV[1] seatTypeId
    ARGV[2] capacity before (what meta says now)
    ARGV[3] capacity after (more than before)
    ARGV[4] nonce for the ids of offers made here

  Output:
    { code, offered }
      code     1 Added
               0 Unchanged     capacity is not ARGV[2] (already added, or changed meanwhile)
              -1 NotLoaded     nothing to do: the next rebuild reads the new capacity from the record
      offered  new seats offered to waiting fans
]]
local seatTypeId = ARGV[1]
local fromCapacity = tonumber(ARGV[2])
local toCapacity = tonumber(ARGV[3])
local nonce = ARGV[4]

--- @include "includes/now-ms"
--- @include "includes/stale-after-restart"
--- @include "includes/seat-giving-keys"
--- @include "includes/give-seat"

local k = seatGivingKeys()
local meta = redis.call('HMGET', k.meta, 'loaded', 'runId', 'capacity:' .. seatTypeId)
if meta[1] ~= '1' or staleAfterRestart(k.meta, meta[2]) then
  return { -1, 0 }
end
if tonumber(meta[3]) ~= fromCapacity or toCapacity <= fromCapacity then
  return { 0, 0 }
end
local now = nowMs()
local offered = 0
for seatNo = fromCapacity + 1, toCapacity do
  if giveSeat(k, seatTypeId, seatNo, now, nonce) then
    offered = offered + 1
  end
end
redis.call('HSET', k.meta, 'capacity:' .. seatTypeId, toCapacity)
return { 1, offered }

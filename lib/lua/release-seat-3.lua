--[[
  Clears the fan's hold and gives the seat back, when the hold is still the one
  of this booking request (a cancelled booking, or a reservation that could not
  be recorded). Anything else is left alone, so a late or repeated call is harmless.
  The seat is not given back when the record shows someone else holds it (after a
  rebuild raced an in-flight reservation): then only the hold is dropped.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] free seats     {concert:<id>}:seats:<seatTypeId>

    ARGV[1] userId
    ARGV[2] requestId / bookingId whose hold is released
    ARGV[3] "1" to put the seat back on the free list, "0" to drop the hold only

  Output:
     1 Released
    -1 NotLoaded    nothing to do: a rebuild from MongoDB will count the seat as free
    -3 NotHeld      the hold is gone or belongs to another request
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local freeSeatsKey = KEYS[3]
local userId = ARGV[1]
local requestId = ARGV[2]
local returnSeat = ARGV[3] == '1'

--- @include "includes/parse-hold"

if redis.call('HGET', metaKey, 'loaded') ~= '1' then
  return -1
end
local hold = redis.call('HGET', holdersKey, userId)
if not hold then
  return -3
end
local heldRequestId, _, seatNo = parseHold(hold)
if heldRequestId ~= requestId then
  return -3
end
redis.call('HDEL', holdersKey, userId)
if returnSeat then
  redis.call('RPUSH', freeSeatsKey, seatNo)
end
return 1

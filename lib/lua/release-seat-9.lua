--[[
  Clears the fan's hold and gives the seat back, when the hold is still the one
  of this booking request (a cancelled booking, or a reservation that could not
  be recorded). Anything else is left alone, so a late or repeated call is harmless.
  The seat is not given back when the record shows someone else holds it (after a
  rebuild raced an in-flight reservation): then only the hold is dropped.
  Giving back goes through the waiting list in this same step (includes/give-seat):
  the seat is offered to the next waiting fan, and only with nobody waiting is it free.

  Input:
    KEYS[1..9] seatGivingKeys() of the seat type (lib/waiting-list/waiting-list-keys.ts):
      meta, holders, free seats, the seat type's line, the "any" line, list fans, offers,
      the seat type's offer expiries, list stats

    ARGV[1] userId
    ARGV[2] requestId / bookingId whose hold is released
    ARGV[3] "1" to give the seat back, "0" to drop the hold only
    ARGV[4] nonce for the id of an offer made here

  Output:
     1 Released
    -1 NotLoaded    nothing to do: a rebuild from MongoDB will count the seat as free
    -3 NotHeld      the hold is gone or belongs to another request
]]
local userId = ARGV[1]
local requestId = ARGV[2]
local returnSeat = ARGV[3] == '1'
local nonce = ARGV[4]

--- @include "includes/parse-hold"
--- @include "includes/now-ms"
--- @include "includes/seat-giving-keys"
--- @include "includes/give-seat"

local k = seatGivingKeys()
if redis.call('HGET', k.meta, 'loaded') ~= '1' then
  return -1
end
local hold = redis.call('HGET', k.holders, userId)
if not hold then
  return -3
end
local heldRequestId, seatTypeId, seatNo = parseHold(hold)
if heldRequestId ~= requestId then
  return -3
end
redis.call('HDEL', k.holders, userId)
if returnSeat then
  giveSeat(k, seatTypeId, seatNo, nowMs(), nonce)
end
return 1

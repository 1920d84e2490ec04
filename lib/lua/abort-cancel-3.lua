--[[
  Undoes begin-cancel-3 when the record could not be updated: the booking stays
  confirmed, so the hold goes back to its normal form and the cancel lease is
  dropped so the fan can retry at once.

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] cancel lease   {concert:<id>}:cancelling:<bookingId>

    ARGV[1] userId
    ARGV[2] bookingId

  Output:
     1 Restored
    -3 NotHeld     no cancelling hold of this booking
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local leaseKey = KEYS[3]
local userId = ARGV[1]
local bookingId = ARGV[2]

--- @include "includes/parse-hold"

if redis.call('HGET', metaKey, 'loaded') ~= '1' then
  return -3
end
local hold = redis.call('HGET', holdersKey, userId)
if not hold then
  return -3
end
local heldRequestId, _, _, _, cancelling = parseHold(hold)
if heldRequestId ~= bookingId or not cancelling then
  return -3
end
redis.call('HSET', holdersKey, userId, string.sub(hold, 3))
redis.call('DEL', leaseKey)
return 1

--[[
  Takes a waiting fan off the list. A fan with an open offer declines it instead
  (decline-offer-9), so the seat passes on.

  Input:
    KEYS[1] list fans   {concert:<id>}:wl:fans
    KEYS[2] the line of the fan's choice   {concert:<id>}:wl:line:<choice>
    KEYS[3] list stats  {concert:<id>}:wl:stats

    ARGV[1] userId
    ARGV[2] the choice the caller read for the fan

  Output:
     1 Left
     0 NotWaiting     not on the list
     3 Offered        has an open offer: decline it
    -6 OtherChoice    waits for another choice than ARGV[2] (it changed: read again)
]]
local fansKey = KEYS[1]
local lineKey = KEYS[2]
local statsKey = KEYS[3]
local userId = ARGV[1]
local choice = ARGV[2]

--- @include "includes/parse-offer"

local entry = redis.call('HGET', fansKey, userId)
if not entry then
  return 0
end
local heldChoice, _, offerId = parseEntry(entry)
if offerId ~= '' then
  return 3
end
if heldChoice ~= choice then
  return -6
end
redis.call('ZREM', lineKey, userId)
redis.call('HDEL', fansKey, userId)
redis.call('HINCRBY', statsKey, 'version', 1)
return 1

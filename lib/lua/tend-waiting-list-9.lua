--[[
  Keeps one seat type's waiting list moving, by Redis's clock (the ticker calls it
  every tick; everything it does is also decided exactly where it matters: an offer
  past its expiry cannot be accepted whether or not this ran).
    - offers past their expiry close, and each seat passes on (next fan, else free);
    - offers to fans who hold a seat by now (booked another way) close and pass on;
    - free seats while fans wait (after a rebuild, or seats given back with the list
      empty a moment before a join) are offered to them, in list order;
    - once the concert has started: every offer has expired (an offer never outlives
      the start), its seat is free, and the lines are cleared.

  Input:
    KEYS[1..9] seatGivingKeys() of the seat type (lib/waiting-list/waiting-list-keys.ts)

    ARGV[1] seatTypeId
    ARGV[2] nonce for the ids of offers made here
    ARGV[3] most offers expired and made per call

  Output:
    { code, expired, passedOn, offered }
      code      1 done, -1 NotLoaded (nothing done: the rebuild comes first)
      expired   offers closed because they expired
      passedOn  offers closed because their fan holds a seat
      offered   offers made (free seats and the seats of closed offers given to waiting fans)
]]
local seatTypeId = ARGV[1]
local nonce = ARGV[2]
local maxPerCall = tonumber(ARGV[3])

--- @include "includes/now-ms"
--- @include "includes/stale-after-restart"
--- @include "includes/seat-giving-keys"
--- @include "includes/give-seat"

local k = seatGivingKeys()
local meta = redis.call('HMGET', k.meta, 'loaded', 'startsAtMs', 'runId')
if meta[1] ~= '1' or staleAfterRestart(k.meta, meta[3]) then
  return { -1, 0, 0, 0 }
end
local now = nowMs()
local started = now >= tonumber(meta[2])
local expired, passedOn, offered = 0, 0, 0

local function passOn(offerId, offer)
  local userId, _, seatNo = parseOffer(offer)
  closeOffer(k, offerId, userId)
  if giveSeat(k, seatTypeId, seatNo, now, nonce) then
    offered = offered + 1
  end
end

for _, offerId in ipairs(redis.call('ZRANGEBYSCORE', k.due, '-inf', now, 'LIMIT', 0, maxPerCall)) do
  local offer = redis.call('HGET', k.offers, offerId)
  if offer then
    passOn(offerId, offer)
    expired = expired + 1
  else
    redis.call('ZREM', k.due, offerId)
  end
end

for _, offerId in ipairs(redis.call('ZRANGE', k.due, 0, maxPerCall - 1)) do
  local offer = redis.call('HGET', k.offers, offerId)
  if offer and redis.call('HEXISTS', k.holders, (parseOffer(offer))) == 1 then
    passOn(offerId, offer)
    passedOn = passedOn + 1
  end
end

if started then
  for _, line in ipairs({ k.typeLine, k.anyLine }) do
    for _, fan in ipairs(redis.call('ZRANGE', line, 0, -1)) do
      redis.call('HDEL', k.fans, fan)
    end
    redis.call('DEL', line)
  end
else
  while offered < maxPerCall and redis.call('LLEN', k.freeSeats) > 0
    and (redis.call('ZCARD', k.typeLine) > 0 or redis.call('ZCARD', k.anyLine) > 0) do
    local seatNo = redis.call('LPOP', k.freeSeats)
    if giveSeat(k, seatTypeId, seatNo, now, nonce) then
      offered = offered + 1
    else
      break
    end
  end
end
return { 1, expired, passedOn, offered }

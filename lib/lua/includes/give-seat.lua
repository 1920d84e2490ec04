--- @include "parse-offer"

-- A seat freed (a cancel, an offer declined or expired) or added goes to the waiting
-- list before anyone else can take it: to the fan who joined first among the heads of
-- the seat type's line and of the "any" line, skipping fans who hold a seat by now.
-- The seat then belongs to that offer alone (on no free list) until it is accepted,
-- declined or expires. Nobody waiting, or the concert started: back to the free list.
-- k: the keys of seatGivingKeys(). Returns the offer id made, or false.
local DEFAULT_OFFER_TTL_MS = 600000

local function nextWaitingFan(k)
  while true do
    local typeHead = redis.call('ZRANGE', k.typeLine, 0, 0, 'WITHSCORES')
    local anyHead = redis.call('ZRANGE', k.anyLine, 0, 0, 'WITHSCORES')
    local line, fan
    if typeHead[1] and (not anyHead[1] or tonumber(typeHead[2]) < tonumber(anyHead[2])) then
      line, fan = k.typeLine, typeHead[1]
    elseif anyHead[1] then
      line, fan = k.anyLine, anyHead[1]
    else
      return nil
    end
    redis.call('ZREM', line, fan)
    if redis.call('HEXISTS', k.holders, fan) == 0 then
      return fan
    end
    -- Booked meanwhile: one ticket per fan, so off the list.
    redis.call('HDEL', k.fans, fan)
    redis.call('HINCRBY', k.stats, 'version', 1)
  end
end

local function giveSeat(k, seatTypeId, seatNo, now, nonce)
  local meta = redis.call('HMGET', k.meta, 'startsAtMs', 'offerTtlMs')
  local startsAt = tonumber(meta[1])
  if now < startsAt then
    local fan = nextWaitingFan(k)
    if fan then
      local choice, seq = parseEntry(redis.call('HGET', k.fans, fan) or '')
      local offerId = nonce .. '.' .. redis.call('HINCRBY', k.stats, 'offerSeq', 1)
      -- An offer open at the start expires then.
      local expiresAt = math.min(now + (tonumber(meta[2]) or DEFAULT_OFFER_TTL_MS), startsAt)
      redis.call('HSET', k.fans, fan, (choice or seatTypeId) .. '|' .. (seq or '0') .. '|' .. offerId)
      redis.call('HSET', k.offers, offerId, fan .. '|' .. seatTypeId .. '|' .. seatNo .. '|' .. expiresAt .. '|' .. now)
      redis.call('ZADD', k.due, expiresAt, offerId)
      redis.call('HINCRBY', k.stats, 'version', 1)
      return offerId
    end
  end
  redis.call('RPUSH', k.freeSeats, seatNo)
  return false
end

-- Closes an open offer (accepted, declined, expired): the fan leaves the list with it.
local function closeOffer(k, offerId, userId)
  redis.call('HDEL', k.offers, offerId)
  redis.call('ZREM', k.due, offerId)
  local _, _, heldOfferId = parseEntry(redis.call('HGET', k.fans, userId) or '||')
  if heldOfferId == offerId then
    redis.call('HDEL', k.fans, userId)
  end
  redis.call('HINCRBY', k.stats, 'version', 1)
end

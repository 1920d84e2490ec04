--[[
  Puts a fan on a concert's waiting list for one seat type or for any, at the end,
  or answers where the fan already is: joining twice keeps the place. Refused to a
  fan who holds a seat of the concert, after the start (Redis TIME), and while the
  chosen seat type still has free seats (book it instead).

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (loaded, startsAtMs, capacity:<seatTypeId>, epoch, runId)
    KEYS[2] holders        {concert:<id>}:fans
    KEYS[3] free seats of the chosen seat type (for "any": any key; ARGV[4] is "0")
    KEYS[4] list fans      {concert:<id>}:wl:fans
    KEYS[5] the line of the choice   {concert:<id>}:wl:line:<choice>
    KEYS[6] list stats     {concert:<id>}:wl:stats

    ARGV[1] userId
    ARGV[2] choice: a seatTypeId, or "any"
    ARGV[3] seq to restore (the record's, after a rebuild raced this join), or "" for a new join
    ARGV[4] "1" to refuse while KEYS[3] has free seats (the caller checked "any" itself)

  Output:
    { code, seq, offerId, epoch, nowMs }
      code  1 Joined
            2 AlreadyWaiting   same choice: the place is kept (seq is the first join's)
            3 Offered          the fan has an open offer (offerId)
           -1 NotLoaded        rebuild from MongoDB, then retry
           -2 ConcertStarted
           -3 AlreadyBooked    the fan holds (or is cancelling) a seat of this concert
           -4 SeatsAvailable   the seat type is not sold out
           -5 UnknownSeatType
           -6 OtherChoice      waiting for another choice (leave first)
]]
local metaKey = KEYS[1]
local holdersKey = KEYS[2]
local freeSeatsKey = KEYS[3]
local fansKey = KEYS[4]
local lineKey = KEYS[5]
local statsKey = KEYS[6]
local userId = ARGV[1]
local choice = ARGV[2]
local restoreSeq = ARGV[3]
local checkFree = ARGV[4] == '1'

--- @include "includes/now-ms"
--- @include "includes/parse-offer"
--- @include "includes/stale-after-restart"

local meta = redis.call('HMGET', metaKey, 'loaded', 'startsAtMs', 'capacity:' .. choice, 'epoch', 'runId')
local epoch = meta[4] or ''
if meta[1] ~= '1' or staleAfterRestart(metaKey, meta[5]) then
  return { -1, 0, '', '', 0 }
end
local now = nowMs()
if now >= tonumber(meta[2]) then
  return { -2, 0, '', epoch, now }
end
if redis.call('HEXISTS', holdersKey, userId) == 1 then
  return { -3, 0, '', epoch, now }
end
local entry = redis.call('HGET', fansKey, userId)
if entry then
  local heldChoice, seq, offerId = parseEntry(entry)
  if offerId ~= '' then
    return { 3, tonumber(seq), offerId, epoch, now }
  end
  if heldChoice ~= choice then
    return { -6, tonumber(seq), '', epoch, now }
  end
  return { 2, tonumber(seq), '', epoch, now }
end
if choice ~= 'any' and not meta[3] then
  return { -5, 0, '', epoch, now }
end
local seq
if restoreSeq ~= '' then
  seq = tonumber(restoreSeq)
  if tonumber(redis.call('HGET', statsKey, 'seq') or '0') < seq then
    redis.call('HSET', statsKey, 'seq', seq)
  end
else
  if checkFree and redis.call('LLEN', freeSeatsKey) > 0 then
    return { -4, 0, '', epoch, now }
  end
  seq = redis.call('HINCRBY', statsKey, 'seq', 1)
end
redis.call('ZADD', lineKey, seq, userId)
redis.call('HSET', fansKey, userId, choice .. '|' .. seq .. '|')
redis.call('HINCRBY', statsKey, 'version', 1)
return { 1, seq, '', epoch, now }

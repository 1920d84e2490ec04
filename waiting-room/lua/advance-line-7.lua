--[[
  One tick of a concert's line, run by the one process holding the ticker lease:
    1. opens the line when due (orders the pre-queue),
    2. frees the slots of admissions that expired (those fans lose their place),
    3. drops waiting fans with no sign of life for abandonAfterMs (the line
       never stalls behind them: admission takes the next fans actually waiting),
    4. admits the next fans in position order, as many as the inlet allows:
       the rate (credits earned since the last tick, at most one second's
       worth, none while nobody waits), the maxActive cap on admitted fans
       still holding a slot, and the seats left minus those slots. With no
       seats left the line stops and is flagged sold out.

  Input:
    KEYS[1] state       {concert:<id>}:wr:state      hash: seq, serving, waiting, opened, soldOut, credits, lastTickMs
    KEYS[2] positions   {concert:<id>}:wr:positions  hash: fanId -> position
    KEYS[3] pre-queue   {concert:<id>}:wr:pre-queue  zset: fanId -> random score
    KEYS[4] line        {concert:<id>}:wr:line       zset: fanId -> position
    KEYS[5] seen        {concert:<id>}:wr:seen       zset: fanId -> last sign of life (ms)
    KEYS[6] active      {concert:<id>}:wr:active     zset: fanId -> admission expiry (ms), slot holders
    KEYS[7] admitted    {concert:<id>}:wr:admitted   zset: fanId -> admission expiry (ms)

    ARGV[1] opensAtMs        0 when the line opens at once
    ARGV[2] admitPerSecond
    ARGV[3] maxActive        0 for no cap
    ARGV[4] tokenTtlMs
    ARGV[5] abandonAfterMs   0 to never drop anyone
    ARGV[6] seatsLeft        seats of all types left, -1 when unknown (no inventory cap this tick)

  Output:
    { serving, waiting, activeCount, soldOut, opened, nowMs, expiredCount, abandonedCount, { fanId, position, ... } }
      serving   highest admitted position        waiting   fans in line plus pre-queue
      soldOut   1 when no seats are left         opened    1 once the pre-queue is ordered
      the last entry lists the fans admitted now, in position order; each expires at nowMs + tokenTtlMs
]]
local stateKey = KEYS[1]
local positionsKey = KEYS[2]
local preQueueKey = KEYS[3]
local lineKey = KEYS[4]
local seenKey = KEYS[5]
local activeKey = KEYS[6]
local admittedKey = KEYS[7]
local opensAtMs = tonumber(ARGV[1])
local admitPerSecond = tonumber(ARGV[2])
local maxActive = tonumber(ARGV[3])
local tokenTtlMs = tonumber(ARGV[4])
local abandonAfterMs = tonumber(ARGV[5])
local seatsLeft = tonumber(ARGV[6])

local BATCH = 1000

--- @include "includes/now-ms"
--- @include "includes/open-if-due"

local now = nowMs()
openIfDue(now, opensAtMs)

local expired = redis.call('ZRANGEBYSCORE', admittedKey, '-inf', now, 'LIMIT', 0, BATCH)
for i = 1, #expired do
  redis.call('ZREM', admittedKey, expired[i])
  redis.call('ZREM', activeKey, expired[i])
  redis.call('HDEL', positionsKey, expired[i])
end

-- Slots whose admission ended without passing through the sweep above (belt and braces).
redis.call('ZREMRANGEBYSCORE', activeKey, '-inf', now)

local abandoned = {}
if abandonAfterMs > 0 then
  abandoned = redis.call('ZRANGEBYSCORE', seenKey, '-inf', now - abandonAfterMs, 'LIMIT', 0, BATCH)
  for i = 1, #abandoned do
    redis.call('ZREM', seenKey, abandoned[i])
    redis.call('ZREM', lineKey, abandoned[i])
    redis.call('ZREM', preQueueKey, abandoned[i])
    redis.call('HDEL', positionsKey, abandoned[i])
  end
end

local state = redis.call('HMGET', stateKey, 'credits', 'lastTickMs', 'serving', 'opened')
local credits = tonumber(state[1] or '0')
local lastTickMs = tonumber(state[2] or now)
local serving = tonumber(state[3] or '0')
local opened = state[4] == '1' and 1 or 0

local soldOut = 0
if seatsLeft == 0 then
  soldOut = 1
end
if soldOut == 1 or redis.call('ZCARD', lineKey) == 0 then
  credits = 0
else
  credits = math.min(credits + math.max(now - lastTickMs, 0) * admitPerSecond / 1000, math.max(admitPerSecond, 1))
end

local activeCount = redis.call('ZCARD', activeKey)
local slots = math.floor(credits)
if maxActive > 0 then
  slots = math.min(slots, maxActive - activeCount)
end
if seatsLeft >= 0 then
  slots = math.min(slots, seatsLeft - activeCount)
end

local admittedNow = {}
if slots > 0 then
  local expiry = now + tokenTtlMs
  local nextFans = redis.call('ZRANGE', lineKey, 0, slots - 1, 'WITHSCORES')
  for i = 1, #nextFans, 2 do
    local fanId = nextFans[i]
    local position = tonumber(nextFans[i + 1])
    redis.call('ZREM', lineKey, fanId)
    redis.call('ZREM', seenKey, fanId)
    redis.call('ZADD', activeKey, expiry, fanId)
    redis.call('ZADD', admittedKey, expiry, fanId)
    if position > serving then
      serving = position
    end
    admittedNow[#admittedNow + 1] = fanId
    admittedNow[#admittedNow + 1] = position
  end
  credits = credits - #nextFans / 2
  activeCount = activeCount + #nextFans / 2
end

local waiting = redis.call('ZCARD', lineKey) + redis.call('ZCARD', preQueueKey)
redis.call('HSET', stateKey, 'credits', credits, 'lastTickMs', now, 'serving', serving, 'waiting', waiting, 'soldOut', soldOut)
return { serving, waiting, activeCount, soldOut, opened, now, #expired, #abandoned, admittedNow }

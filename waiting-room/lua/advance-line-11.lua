--[[
  One tick of a concert's line, run by the one process holding the ticker lease:
    1. opens the line when due (orders the pre-queue),
    2. ends the admissions whose claim window passed (those fans lose their place;
       an admission no booking used counts as a no-show),
    3. drops waiting fans with no sign of life for the grace period (the line
       never stalls behind them: admission takes the next fans actually waiting),
    4. unless paused, admits the next fans in position order, as many as the inlet
       allows: the rate (credits earned since the last tick, at most one second's
       worth, none while nobody waits), the maxActive cap on admitted fans still
       holding a slot, and the seats left minus those slots. With no seats left
       the line stops and is flagged sold out.
  The operator's live controls in the state hash win over the concert record's
  values passed in ARGV, so a change takes effect on the next tick whichever
  process ticks and however old its copy of the concert is.

  Input:
    KEYS[1]  state        {concert:<id>}:wr:state        hash: seq, serving, waiting, opened, soldOut, credits, lastTickMs, noShows, controls
    KEYS[2]  positions    {concert:<id>}:wr:positions    hash: fanId -> position
    KEYS[3]  pre-queue    {concert:<id>}:wr:pre-queue    zset: fanId -> drawn score
    KEYS[4]  line         {concert:<id>}:wr:line         zset: fanId -> position
    KEYS[5]  seen         {concert:<id>}:wr:seen         zset: fanId -> last sign of life (ms)
    KEYS[6]  active       {concert:<id>}:wr:active       zset: fanId -> admission expiry (ms), slot holders
    KEYS[7]  admitted     {concert:<id>}:wr:admitted     zset: fanId -> admission expiry (ms)
    KEYS[8]  used         {concert:<id>}:wr:used         hash: fanId -> admission a booking used
    KEYS[9]  admitted-at  {concert:<id>}:wr:admitted-at  hash: fanId -> admission time (ms)
    KEYS[10] joined       {concert:<id>}:wr:joined       hash: fanId -> join time (ms)
    KEYS[11] waits        {concert:<id>}:wr:waits        list: time in line (ms) of the latest admissions

    ARGV[1] opensAtMs        0 when the line opens at once
    ARGV[2] admitPerSecond
    ARGV[3] maxActive        0 for no cap
    ARGV[4] claimWindowMs    how long an admitted fan has to book
    ARGV[5] graceMs          how long a place is kept after the last sign of life; 0 to never drop anyone
    ARGV[6] seatsLeft        seats of all types left, -1 when unknown (no inventory cap this tick)
    ARGV[7] paused           1 to admit nobody

  Output:
    { serving, waiting, activeCount, soldOut, opened, nowMs, expiredCount, abandonedCount, { fanId, position, ... },
      admitPerSecond, claimWindowMs, paused }
      serving   highest admitted position        waiting   fans in line plus pre-queue
      soldOut   1 when no seats are left         opened    1 once the pre-queue is ordered
      the 9th entry lists the fans admitted now, in position order; each expires at nowMs + claimWindowMs;
      the last three are the settings in effect (the live controls or ARGV)
]]
local stateKey = KEYS[1]
local positionsKey = KEYS[2]
local preQueueKey = KEYS[3]
local lineKey = KEYS[4]
local seenKey = KEYS[5]
local activeKey = KEYS[6]
local admittedKey = KEYS[7]
local usedKey = KEYS[8]
local admittedAtKey = KEYS[9]
local joinedKey = KEYS[10]
local waitsKey = KEYS[11]
local opensAtMs = tonumber(ARGV[1])
local seatsLeft = tonumber(ARGV[6])

local BATCH = 1000
local WAITS_KEPT = 1000

--- @include "includes/now-ms"
--- @include "includes/open-if-due"
--- @include "includes/end-admission"

local controls = redis.call('HMGET', stateKey, 'admitPerSecond', 'maxActive', 'claimWindowMs', 'graceMs', 'paused')
local admitPerSecond = tonumber(controls[1] or ARGV[2])
local maxActive = tonumber(controls[2] or ARGV[3])
local claimWindowMs = tonumber(controls[3] or ARGV[4])
local graceMs = tonumber(controls[4] or ARGV[5])
local paused = tonumber(controls[5] or ARGV[7])

local now = nowMs()
openIfDue(now, opensAtMs)

local expired = redis.call('ZRANGEBYSCORE', admittedKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, BATCH)
for i = 1, #expired, 2 do
  endAdmission(expired[i], expired[i + 1])
end

-- Slots whose admission ended without passing through the sweep above (belt and braces).
redis.call('ZREMRANGEBYSCORE', activeKey, '-inf', now)

local abandoned = {}
if graceMs > 0 then
  abandoned = redis.call('ZRANGEBYSCORE', seenKey, '-inf', now - graceMs, 'LIMIT', 0, BATCH)
  for i = 1, #abandoned do
    redis.call('ZREM', seenKey, abandoned[i])
    redis.call('ZREM', lineKey, abandoned[i])
    redis.call('ZREM', preQueueKey, abandoned[i])
    redis.call('HDEL', positionsKey, abandoned[i])
    redis.call('HDEL', joinedKey, abandoned[i])
  end
end

local state = redis.call('HMGET', stateKey, 'credits', 'lastTickMs', 'serving')
local credits = tonumber(state[1] or '0')
local lastTickMs = tonumber(state[2] or now)
local serving = tonumber(state[3] or '0')
local opened = redis.call('HGET', stateKey, 'opened') == '1' and 1 or 0

local soldOut = 0
if seatsLeft == 0 then
  soldOut = 1
end
if soldOut == 1 or paused == 1 or redis.call('ZCARD', lineKey) == 0 then
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
  local expiry = now + claimWindowMs
  local nextFans = redis.call('ZRANGE', lineKey, 0, slots - 1, 'WITHSCORES')
  for i = 1, #nextFans, 2 do
    local fanId = nextFans[i]
    local position = tonumber(nextFans[i + 1])
    redis.call('ZREM', lineKey, fanId)
    redis.call('ZREM', seenKey, fanId)
    redis.call('ZADD', activeKey, expiry, fanId)
    redis.call('ZADD', admittedKey, expiry, fanId)
    redis.call('HSET', admittedAtKey, fanId, now)
    local joinedAt = redis.call('HGET', joinedKey, fanId)
    if joinedAt then
      redis.call('LPUSH', waitsKey, now - tonumber(joinedAt))
      redis.call('HDEL', joinedKey, fanId)
    end
    if position > serving then
      serving = position
    end
    admittedNow[#admittedNow + 1] = fanId
    admittedNow[#admittedNow + 1] = position
  end
  redis.call('LTRIM', waitsKey, 0, WAITS_KEPT - 1)
  credits = credits - #nextFans / 2
  activeCount = activeCount + #nextFans / 2
end

local waiting = redis.call('ZCARD', lineKey) + redis.call('ZCARD', preQueueKey)
redis.call('HSET', stateKey, 'credits', credits, 'lastTickMs', now, 'serving', serving, 'waiting', waiting, 'soldOut', soldOut)
return { serving, waiting, activeCount, soldOut, opened, now, #expired / 2, #abandoned, admittedNow, admitPerSecond, claimWindowMs, paused }

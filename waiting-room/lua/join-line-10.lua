--[[
  Gives a fan a place in a concert's line, atomically and idempotently: a fan
  who already has a place keeps it (a fan who comes back within the grace period
  has the same place). Before the line opens (opensAtMs) the fan goes into the
  pre-queue with a score drawn once per account instead; the first script run at
  or after opening orders the pre-queue (see includes/open-if-due).
  A fan whose admission has expired lost the place and joins at the back.
  While the operator drains the line, fans without a place are turned away.

  Input:
    KEYS[1]  state        {concert:<id>}:wr:state        hash: seq, opened, waiting, serving, draining, ...
    KEYS[2]  positions    {concert:<id>}:wr:positions    hash: fanId -> position
    KEYS[3]  pre-queue    {concert:<id>}:wr:pre-queue    zset: fanId -> drawn score
    KEYS[4]  line         {concert:<id>}:wr:line         zset: fanId -> position (waiting fans)
    KEYS[5]  seen         {concert:<id>}:wr:seen         zset: fanId -> last sign of life (ms)
    KEYS[6]  admitted     {concert:<id>}:wr:admitted     zset: fanId -> admission expiry (ms)
    KEYS[7]  active       {concert:<id>}:wr:active       zset: fanId -> admission expiry (ms), slot holders
    KEYS[8]  used         {concert:<id>}:wr:used         hash: fanId -> admission a booking used
    KEYS[9]  admitted-at  {concert:<id>}:wr:admitted-at  hash: fanId -> admission time (ms)
    KEYS[10] joined       {concert:<id>}:wr:joined       hash: fanId -> join time (ms)

    ARGV[1] fanId
    ARGV[2] opensAtMs       0 when the line opens at once
    ARGV[3] preQueueScore   the fan's draw (the same number every time for one account); orders the pre-queue at opening

  Output:
    { code, position, serving, waiting }   the counters as of this join (the answer agrees with the next status)
      code  1 Joined             a new place at the back of the line
            2 AlreadyInLine      the fan's earlier place (waiting or admitted)
            3 PreQueued          into the pre-queue; position 0 until opening
            4 AlreadyPreQueued   was in the pre-queue already; position 0
            5 Draining           no place, and the line takes no new fans
]]
local stateKey = KEYS[1]
local positionsKey = KEYS[2]
local preQueueKey = KEYS[3]
local lineKey = KEYS[4]
local seenKey = KEYS[5]
local admittedKey = KEYS[6]
local activeKey = KEYS[7]
local usedKey = KEYS[8]
local admittedAtKey = KEYS[9]
local joinedKey = KEYS[10]
local fanId = ARGV[1]
local opensAtMs = tonumber(ARGV[2])
local preQueueScore = ARGV[3]

--- @include "includes/now-ms"
--- @include "includes/open-if-due"
--- @include "includes/end-admission"

local now = nowMs()
openIfDue(now, opensAtMs)

local function answer(code, position)
  local counters = redis.call('HMGET', stateKey, 'serving', 'waiting')
  return { code, position, tonumber(counters[1] or '0'), tonumber(counters[2] or '0') }
end

local position = redis.call('HGET', positionsKey, fanId)
if position then
  local expiry = redis.call('ZSCORE', admittedKey, fanId)
  if not expiry or tonumber(expiry) > now then
    redis.call('ZADD', seenKey, 'XX', now, fanId)
    return answer(2, tonumber(position))
  end
  -- Expired, not yet swept by the ticker: end the admission here.
  endAdmission(fanId, expiry)
end

if redis.call('ZSCORE', preQueueKey, fanId) then
  redis.call('ZADD', seenKey, now, fanId)
  return answer(4, 0)
end
if redis.call('HGET', stateKey, 'draining') == '1' then
  return answer(5, 0)
end

redis.call('HSET', joinedKey, fanId, now)
redis.call('ZADD', seenKey, now, fanId)
-- Counted at once (the tick recounts exactly): a status right after this join must not see a line without this fan.
redis.call('HINCRBY', stateKey, 'waiting', 1)
if redis.call('HGET', stateKey, 'opened') ~= '1' then
  redis.call('ZADD', preQueueKey, preQueueScore, fanId)
  return answer(3, 0)
end

local seq = redis.call('HINCRBY', stateKey, 'seq', 1)
redis.call('HSET', positionsKey, fanId, seq)
redis.call('ZADD', lineKey, seq, fanId)
return answer(1, seq)

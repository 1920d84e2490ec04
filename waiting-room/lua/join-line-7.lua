--[[
  Gives a fan a place in a concert's line, atomically and idempotently: a fan
  who already has a place keeps it. Before the line opens (opensAtMs) the fan
  goes into the pre-queue with a random score instead; the first script run at
  or after opening orders the pre-queue (see includes/open-if-due).
  A fan whose admission has expired lost the place and joins at the back.

  Input:
    KEYS[1] state       {concert:<id>}:wr:state      hash: seq, opened, ...
    KEYS[2] positions   {concert:<id>}:wr:positions  hash: fanId -> position
    KEYS[3] pre-queue   {concert:<id>}:wr:pre-queue  zset: fanId -> random score
    KEYS[4] line        {concert:<id>}:wr:line       zset: fanId -> position (waiting fans)
    KEYS[5] seen        {concert:<id>}:wr:seen       zset: fanId -> last sign of life (ms)
    KEYS[6] admitted    {concert:<id>}:wr:admitted   zset: fanId -> admission expiry (ms)
    KEYS[7] active      {concert:<id>}:wr:active     zset: fanId -> admission expiry (ms), slot holders

    ARGV[1] fanId
    ARGV[2] opensAtMs       0 when the line opens at once
    ARGV[3] preQueueScore   a random number; orders the pre-queue at opening

  Output:
    { code, position }
      code  1 Joined             a new place at the back of the line
            2 AlreadyInLine      the fan's earlier place (waiting or admitted)
            3 PreQueued          into the pre-queue; position 0 until opening
            4 AlreadyPreQueued   was in the pre-queue already; position 0
]]
local stateKey = KEYS[1]
local positionsKey = KEYS[2]
local preQueueKey = KEYS[3]
local lineKey = KEYS[4]
local seenKey = KEYS[5]
local admittedKey = KEYS[6]
local activeKey = KEYS[7]
local fanId = ARGV[1]
local opensAtMs = tonumber(ARGV[2])
local preQueueScore = ARGV[3]

--- @include "includes/now-ms"
--- @include "includes/open-if-due"

local now = nowMs()
openIfDue(now, opensAtMs)

local position = redis.call('HGET', positionsKey, fanId)
if position then
  local expiry = redis.call('ZSCORE', admittedKey, fanId)
  if not expiry or tonumber(expiry) > now then
    redis.call('ZADD', seenKey, 'XX', now, fanId)
    return { 2, tonumber(position) }
  end
  -- Expired, not yet swept by the ticker: free the slot and drop the place here.
  redis.call('ZREM', admittedKey, fanId)
  redis.call('ZREM', activeKey, fanId)
  redis.call('HDEL', positionsKey, fanId)
end

if redis.call('HGET', stateKey, 'opened') ~= '1' then
  local added = redis.call('ZADD', preQueueKey, 'NX', preQueueScore, fanId)
  redis.call('ZADD', seenKey, now, fanId)
  if added == 1 then
    return { 3, 0 }
  end
  return { 4, 0 }
end

local seq = redis.call('HINCRBY', stateKey, 'seq', 1)
redis.call('HSET', positionsKey, fanId, seq)
redis.call('ZADD', lineKey, seq, fanId)
redis.call('ZADD', seenKey, now, fanId)
return { 1, seq }

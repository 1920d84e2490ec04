-- Ends a fan's admission (its claim window passed): the slot is freed and the place
-- is gone; an admission no booking used counts as a no-show (operator stats).
-- Needs the locals stateKey, positionsKey, admittedKey, activeKey, usedKey and admittedAtKey.
local function endAdmission(fanId, expiry)
  local used = redis.call('HGET', usedKey, fanId)
  if not used or string.sub(used, 1, #expiry + 1) ~= expiry .. '|' then
    redis.call('HINCRBY', stateKey, 'noShows', 1)
  end
  redis.call('ZREM', admittedKey, fanId)
  redis.call('ZREM', activeKey, fanId)
  redis.call('HDEL', positionsKey, fanId)
  redis.call('HDEL', usedKey, fanId)
  redis.call('HDEL', admittedAtKey, fanId)
end

-- Orders the pre-queue at the opening moment: its fans take positions 1..P in
-- the order of the random scores they were given on joining (hidden from them),
-- so arriving early buys nothing. Fans who join later queue behind them.
-- Needs the locals stateKey, positionsKey, preQueueKey and lineKey.
local function openIfDue(now, opensAtMs)
  if redis.call('HGET', stateKey, 'opened') == '1' or now < opensAtMs then
    return
  end
  local fans = redis.call('ZRANGE', preQueueKey, 0, -1)
  local seq = tonumber(redis.call('HGET', stateKey, 'seq') or '0')
  for i = 1, #fans do
    seq = seq + 1
    redis.call('HSET', positionsKey, fans[i], seq)
    redis.call('ZADD', lineKey, seq, fans[i])
  end
  redis.call('DEL', preQueueKey)
  redis.call('HSET', stateKey, 'seq', seq, 'opened', '1')
end

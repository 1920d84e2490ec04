-- Fixed-window counting: counts one hit on counterKey and says whether it is within
-- `limit` for the window; refused hits count too (the window's end does not move).
-- Returns allowed (1 or 0) and the milliseconds until the window resets (0 when allowed).
local function fixedWindowHit(counterKey, windowMs, limit)
  local hits = redis.call('INCR', counterKey)
  if hits == 1 then
    redis.call('PEXPIRE', counterKey, windowMs)
  end
  if hits <= limit then
    return 1, 0
  end
  local ttl = redis.call('PTTL', counterKey)
  if ttl < 0 then
    redis.call('PEXPIRE', counterKey, windowMs)
    ttl = windowMs
  end
  return 0, ttl
end

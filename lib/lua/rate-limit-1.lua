--[[
  Fixed-window rate limit: counts one hit and says whether it is allowed.

  Input:
    KEYS[1] counter key for (subject, window)

    ARGV[1] window length in milliseconds
    ARGV[2] hits allowed per window

  Output:
    { allowed, retryAfterMs }
      allowed       1 when this hit is within the limit, 0 when it is refused
      retryAfterMs  milliseconds until the window resets (0 when allowed)
]]
local counterKey = KEYS[1]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])

local hits = redis.call('INCR', counterKey)
if hits == 1 then
  redis.call('PEXPIRE', counterKey, windowMs)
end
if hits <= limit then
  return { 1, 0 }
end
local ttl = redis.call('PTTL', counterKey)
if ttl < 0 then
  redis.call('PEXPIRE', counterKey, windowMs)
  ttl = windowMs
end
return { 0, ttl }

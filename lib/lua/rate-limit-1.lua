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

--- @include "includes/fixed-window-hit"

local allowed, retryAfterMs = fixedWindowHit(counterKey, windowMs, limit)
return { allowed, retryAfterMs }

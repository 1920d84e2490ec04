--[[
  Counts a login attempt against the ceilings that can refuse it, before the password
  is checked (counted first, so a burst of parallel guesses cannot slip past a limit).

  Input:
    KEYS[1] (email, client) counter   {login:<email>}:client:<client>
    KEYS[2] email counter             {login:<email>}:unknown-clients
    KEYS[3] the email's known clients {login:<email>}:known   (zset client -> ms until which it is known)

    ARGV[1] the client (its address key)
    ARGV[2] window length in milliseconds
    ARGV[3] attempts allowed per (email, client) per window
    ARGV[4] attempts allowed per email per window from clients not known to it

  Output:
    { result, retryAfterMs }
      result        1 allowed, counted on both counters
                    2 allowed, a known client: counted on the (email, client) counter only
                   -1 refused: this client is over its ceiling for this email
                   -2 refused: the email is over its ceiling for clients not known to it
      retryAfterMs  milliseconds until the refusing window resets (0 when allowed)
]]
local clientKey = KEYS[1]
local emailKey = KEYS[2]
local knownKey = KEYS[3]
local client = ARGV[1]
local windowMs = tonumber(ARGV[2])
local clientLimit = tonumber(ARGV[3])
local emailLimit = tonumber(ARGV[4])

--- @include "includes/fixed-window-hit"
--- @include "includes/now-ms"

local clientAllowed, clientRetryMs = fixedWindowHit(clientKey, windowMs, clientLimit)
if clientAllowed == 0 then
  return { -1, clientRetryMs }
end
local knownUntil = tonumber(redis.call('ZSCORE', knownKey, client))
if knownUntil and knownUntil > nowMs() then
  return { 2, 0 }
end
local emailAllowed, emailRetryMs = fixedWindowHit(emailKey, windowMs, emailLimit)
if emailAllowed == 0 then
  return { -2, emailRetryMs }
end
return { 1, 0 }

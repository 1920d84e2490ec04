--[[
  Admits one booking submission of a fan: the fan's submission rate limit and,
  when the submission has an Idempotency-Key, the key's claim, in one step (one
  round trip; the key check costs nothing extra).

  A retry whose key is already claimed is answered from what the key stands for
  and is not counted: replaying a stored answer costs the platform nothing. A
  submission over the limit claims no key, so its retry after Retry-After is new.

  Input:
    KEYS[1] the fan's submission counter   {fan:<userId>}:submits
    KEYS[2] the Idempotency-Key's claim    {fan:<userId>}:idempotency:<key>
            (not read or written when ARGV[3] is empty)

    ARGV[1] window length in milliseconds
    ARGV[2] submissions allowed per window
    ARGV[3] "<requestId>|<body fingerprint>" to claim the key with, or "" without a key
    ARGV[4] the claim's time to live in seconds

  Output:
    { code, value }
      code  1 Admitted     counted (and the key claimed, if any); value ""
            2 Replay       the key was claimed before; value = what it stands for; not counted
            0 RateLimited  over the limit; value = milliseconds until the window resets
]]
local counterKey = KEYS[1]
local claimKey = KEYS[2]
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local claimValue = ARGV[3]
local claimTtlSeconds = tonumber(ARGV[4])

--- @include "../../../lib/lua/includes/fixed-window-hit"

if claimValue ~= '' then
  local previous = redis.call('GET', claimKey)
  if previous then
    return { 2, previous }
  end
end
local allowed, retryAfterMs = fixedWindowHit(counterKey, windowMs, limit)
if allowed ~= 1 then
  return { 0, tostring(retryAfterMs) }
end
if claimValue ~= '' then
  redis.call('SET', claimKey, claimValue, 'EX', claimTtlSeconds)
end
return { 1, '' }

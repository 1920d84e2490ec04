--[[
  A booking uses the fan's admission (see includes/consume-admission).

  Input:
    KEYS[1] admitted  {concert:<id>}:wr:admitted  zset: fanId -> admission expiry (ms)
    KEYS[2] active    {concert:<id>}:wr:active    zset: fanId -> admission expiry (ms), slot holders
    KEYS[3] used      {concert:<id>}:wr:used      hash: fanId -> "<expiry ms>|<Idempotency-Key>"

    ARGV[1] fanId
    ARGV[2] expiresAtSec   the admission token's exp
    ARGV[3] requestKey     the booking's Idempotency-Key, '' without one
    ARGV[4] holdMs         how long the slot stays taken at most while the booking waits for its decision

  Output:
    code  1 Consumed  2 AlreadyUsed  0 NotAdmitted
]]
--- @include "includes/now-ms"
--- @include "includes/consume-admission"

return consumeAdmission(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), nowMs())

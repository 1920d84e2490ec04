--[[
  Extends a lease only if it still holds our token (it may have expired and
  been taken by another process).

  Input:
    KEYS[1] lease key
    ARGV[1] our token
    ARGV[2] ttlMs

  Output:
    1 renewed, 0 lost (expired or taken over)
]]
local leaseKey = KEYS[1]
local token = ARGV[1]
local ttlMs = ARGV[2]

if redis.call('GET', leaseKey) == token then
  return redis.call('PEXPIRE', leaseKey, ttlMs)
end
return 0

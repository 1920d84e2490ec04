--[[
  Deletes a lock only if it still holds our token (it may have expired and been taken by another process).

  Input:
    KEYS[1] lock key
    ARGV[1] our token

  Output:
    1 released, 0 not ours (expired or taken over)
]]
local lockKey = KEYS[1]
local token = ARGV[1]

if redis.call('GET', lockKey) == token then
  return redis.call('DEL', lockKey)
end
return 0

--[[
  Rotates a refresh token: the presented one is spent and a new one of the same
  family is stored. Presenting a spent token again revokes its whole family
  (someone else may hold a copy).

  Input:
    KEYS[1] presented token key   {user:<id>}:refresh:<tokenId>
    KEYS[2] the user's families   {user:<id>}:refresh-families   (hash familyId -> "1")
    KEYS[3] new token key         {user:<id>}:refresh:<newTokenId>

    ARGV[1] family id of the presented token
    ARGV[2] sha256 of the presented token's secret
    ARGV[3] sha256 of the new token's secret
    ARGV[4] token time to live in seconds

  Output:
     1  rotated
    -1  unknown or expired token, or wrong secret
    -2  token already spent: family revoked
    -3  family revoked (logout or earlier reuse)
]]
local presentedKey = KEYS[1]
local familiesKey = KEYS[2]
local newKey = KEYS[3]
local familyId = ARGV[1]
local presentedHash = ARGV[2]
local newHash = ARGV[3]
local ttlSeconds = tonumber(ARGV[4])

if redis.call('HEXISTS', familiesKey, familyId) == 0 then
  return -3
end
local stored = redis.call('HMGET', presentedKey, 'secret', 'family', 'spent')
if not stored[1] or stored[1] ~= presentedHash or stored[2] ~= familyId then
  return -1
end
if stored[3] == '1' then
  redis.call('HDEL', familiesKey, familyId)
  return -2
end
redis.call('HSET', presentedKey, 'spent', '1')
redis.call('HSET', newKey, 'secret', newHash, 'family', familyId, 'spent', '0')
redis.call('EXPIRE', newKey, ttlSeconds)
redis.call('EXPIRE', familiesKey, ttlSeconds)
return 1

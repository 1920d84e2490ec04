--[[
  A login with the right password: the client's failures on this email are forgiven,
  the attempt is taken back from the email's counter (it was no guess), and the client
  becomes known to the email (spared the email's ceiling) for a while. The known list
  keeps only the most recent clients.

  Input:
    KEYS[1] (email, client) counter   {login:<email>}:client:<client>
    KEYS[2] email counter             {login:<email>}:unknown-clients
    KEYS[3] the email's known clients {login:<email>}:known   (zset client -> ms until which it is known)

    ARGV[1] the client (its address key)
    ARGV[2] "1" when login-attempt-3 counted the attempt on the email counter, else "0"
    ARGV[3] how long the client stays known, in milliseconds
    ARGV[4] most clients kept known per email

  Output:
    1
]]
local clientKey = KEYS[1]
local emailKey = KEYS[2]
local knownKey = KEYS[3]
local client = ARGV[1]
local countedOnEmail = ARGV[2] == '1'
local knownForMs = tonumber(ARGV[3])
local maxKnown = tonumber(ARGV[4])

--- @include "includes/now-ms"

redis.call('DEL', clientKey)
if countedOnEmail and tonumber(redis.call('GET', emailKey) or '0') > 0 then
  redis.call('DECR', emailKey)
end
local now = nowMs()
redis.call('ZADD', knownKey, now + knownForMs, client)
redis.call('ZREMRANGEBYSCORE', knownKey, '-inf', now)
redis.call('ZREMRANGEBYRANK', knownKey, 0, -(maxKnown + 1))
redis.call('PEXPIRE', knownKey, knownForMs)
return 1

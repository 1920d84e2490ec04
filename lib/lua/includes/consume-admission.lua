-- One admission, one booking: marks the fan's current admission used. Its slot stays
-- taken until the booking is decided (the worker frees it then, freeAdmissionSlot), at
-- most holdMs: the room admits no more fans than seats left minus slots held, and a
-- queued booking may still take one of those seats. A retry carrying the
-- same Idempotency-Key passes again (the first try may have failed after this step);
-- any other second use is refused. Kept a self-contained fragment so the booking
-- accept path can fold it into its own script.
-- Codes: 1 consumed, 2 already used, 0 not admitted (no admission, expired, or a token of an earlier one).
local function consumeAdmission(admittedKey, activeKey, usedKey, fanId, expiresAtSec, requestKey, holdMs, now)
  local expiry = redis.call('ZSCORE', admittedKey, fanId)
  if not expiry or tonumber(expiry) <= now or math.floor(tonumber(expiry) / 1000) ~= tonumber(expiresAtSec) then
    return 0
  end
  local mark = expiry .. '|' .. requestKey
  local used = redis.call('HGET', usedKey, fanId)
  if used then
    local usedExpiry, usedRequest = string.match(used, '^([^|]*)|(.*)$')
    if usedExpiry == expiry and (requestKey == '' or usedRequest ~= requestKey) then
      return 2
    end
  end
  redis.call('HSET', usedKey, fanId, mark)
  redis.call('ZADD', activeKey, 'XX', math.min(tonumber(expiry), now + holdMs), fanId)
  return 1
end

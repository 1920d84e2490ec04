-- Redis server time in milliseconds: every process sees the same clock, so the cut-off is exact.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

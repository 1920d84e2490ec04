-- A fan's hold is "<requestId>|<seatTypeId>|<seatNo>|<decidedAtMs>", prefixed by "x|" while being cancelled.
local function parseHold(hold)
  local cancelling = false
  if string.sub(hold, 1, 2) == 'x|' then
    cancelling = true
    hold = string.sub(hold, 3)
  end
  local requestId, seatTypeId, seatNo, decidedAt = string.match(hold, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  return requestId, seatTypeId, seatNo, decidedAt, cancelling
end

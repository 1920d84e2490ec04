-- The operator's cut-offs beside the start: sales closed now (close-sales-1 stamped
-- salesClosedAtMs with this server's clock) or this seat type closed (close-seat-type-1).
-- Returns -8 SalesClosed, -7 SeatTypeClosed, or nil while both are open.
local function salesCutOff(metaKey, seatTypeId, now)
  local cut = redis.call('HMGET', metaKey, 'salesClosedAtMs', 'closed:' .. seatTypeId)
  if cut[1] and now >= tonumber(cut[1]) then
    return -8
  end
  if cut[2] == '1' then
    return -7
  end
  return nil
end

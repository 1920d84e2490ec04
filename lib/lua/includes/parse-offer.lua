-- An open offer is "<userId>|<seatTypeId>|<seatNo>|<expiresAtMs>|<createdAtMs>".
local function parseOffer(offer)
  local userId, seatTypeId, seatNo, expiresAt, createdAt = string.match(offer, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  return userId, seatTypeId, seatNo, tonumber(expiresAt), tonumber(createdAt)
end

-- A waiting-list entry is "<choice>|<seq>|<offerId or empty>".
local function parseEntry(entry)
  local choice, seq, offerId = string.match(entry, '^([^|]*)|([^|]*)|([^|]*)$')
  return choice, seq, offerId
end

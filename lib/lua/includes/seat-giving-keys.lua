-- The nine keys of a script that may give a seat of one seat type away (see give-seat),
-- named: KEYS[1..9] in this order, as lib/waiting-list/waiting-list-keys.ts seatGivingKeys() lists them.
local function seatGivingKeys()
  return {
    meta = KEYS[1],
    holders = KEYS[2],
    freeSeats = KEYS[3],
    typeLine = KEYS[4],
    anyLine = KEYS[5],
    fans = KEYS[6],
    offers = KEYS[7],
    due = KEYS[8],
    stats = KEYS[9],
  }
end

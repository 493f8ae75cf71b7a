-- receive: a hot sale's bucket takes the units another bucket gave (second half of a transfer).
-- Applied once per transfer id, however often it is replayed.
-- KEYS: the bucket's keys (see _common.lua), KEYS[10] = its xfer_in hash.
-- ARGV: [1] transfer id [2] the transfer JSON from give.lua
-- Returns the units added (0 when this transfer was applied before).
if redis.call('HEXISTS', KEYS[10], ARGV[1]) == 1 then return 0 end
local rec = cjson.decode(ARGV[2])
local n = 0
for store, qty in pairs(rec.stores) do
  restock(store, qty)
  n = n + qty
end
redis.call('HINCRBY', K_META, 'allocated', n)
redis.call('HSET', KEYS[10], ARGV[1], n)
return n

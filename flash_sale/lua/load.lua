-- load: create a sale's keys from its allocation, once (a second load is refused).
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: [1] meta JSON object (string values; a hot sale's bucket adds seq_start and seq_step) [2] stores JSON array of {id, qty, lng, lat}
-- Returns 1 when loaded, 0 when the sale already existed.
if redis.call('EXISTS', K_META) == 1 then return 0 end
local meta = cjson.decode(ARGV[1])
local total = 0
for _, s in ipairs(cjson.decode(ARGV[2])) do
  redis.call('GEOADD', K_POS, s.lng, s.lat, s.id)
  redis.call('HSET', K_STOCK, s.id, s.qty)
  if s.qty > 0 then redis.call('GEOADD', K_GEO, s.lng, s.lat, s.id) end
  total = total + s.qty
end
for k, v in pairs(meta) do redis.call('HSET', K_META, k, v) end
redis.call('HSET', K_META, 'allocated', total, 'remaining', total, 'reserved', 0, 'sold', 0,
  'seq', tonumber(meta.seq_start or '0'), 'state', 'open')
return 1

-- snapshot: one consistent read of a sale's counters and buckets.
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: none.
-- Returns {meta_flat_list, stock_flat_list, now_ms} or {} when the sale is unknown.
if redis.call('EXISTS', K_META) == 0 then return {} end
return {redis.call('HGETALL', K_META), redis.call('HGETALL', K_STOCK), now_ms()}

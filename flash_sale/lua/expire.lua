-- expire: close every reservation whose payment deadline has passed (Redis clock), up to a batch.
-- Safe to run from any number of sweepers at once: each order flips from 'reserved' once.
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: [1] batch size
-- Returns {expired_count, units_returned, remaining}.
local ts = now_ms()
local due = redis.call('ZRANGEBYSCORE', K_DEADLINES, '-inf', ts, 'LIMIT', 0, tonumber(ARGV[1]))
local n, units = 0, 0
for _, order_id in ipairs(due) do
  local raw = redis.call('HGET', K_ORDERS, order_id)
  if raw then
    local rec = cjson.decode(raw)
    if rec.status == 'reserved' and rec.expires_ms <= ts then
      release(order_id, rec, 'expired', ts)
      n = n + 1
      units = units + rec.quantity
    else
      redis.call('ZREM', K_DEADLINES, order_id)
    end
  else
    redis.call('ZREM', K_DEADLINES, order_id)
  end
end
return {n, units, tonumber(redis.call('HGET', K_META, 'remaining') or '0')}

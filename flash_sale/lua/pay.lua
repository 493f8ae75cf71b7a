-- pay: mark a reserved order paid, if its payment window is still open (Redis clock).
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: [1] order_id [2] user_id (owner) [3] payment reference
-- Returns {'ok', order_json} (also when already paid: idempotent), {'not_found'},
--         {'expired', order_json} (past deadline or already expired), {'invalid_state', status}.
local order_id, user, ref = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call('HGET', K_ORDERS, order_id)
if not raw then return {'not_found'} end
local rec = cjson.decode(raw)
if rec.user_id ~= user then return {'not_found'} end
if rec.status == 'paid' then return {'ok', raw} end
if rec.status == 'expired' then return {'expired', raw} end
if rec.status ~= 'reserved' then return {'invalid_state', rec.status} end
local ts = now_ms()
if ts >= rec.expires_ms then
  release(order_id, rec, 'expired', ts)
  return {'expired', cjson.encode(rec)}
end
rec.status = 'paid'
rec.paid_ms = ts
rec.payment_ref = ref
local json = cjson.encode(rec)
redis.call('HSET', K_ORDERS, order_id, json)
redis.call('ZREM', K_DEADLINES, order_id)
redis.call('HINCRBY', K_META, 'reserved', -rec.quantity)
redis.call('HINCRBY', K_META, 'sold', rec.quantity)
redis.call('XADD', K_EVENTS, '*', 'type', 'paid', 'order_id', order_id, 'sale_id', rec.sale_id,
  'user_id', user, 'payment_ref', ref, 'ts_ms', ts)
return {'ok', json}

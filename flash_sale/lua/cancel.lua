-- cancel: the owner gives back a reserved order; its stock returns exactly once.
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: [1] order_id [2] user_id (owner)
-- Returns {'ok', order_json} (also when already cancelled), {'not_found'},
--         {'invalid_state', status} (paid or expired).
local order_id, user = ARGV[1], ARGV[2]
local raw = redis.call('HGET', K_ORDERS, order_id)
if not raw then return {'not_found'} end
local rec = cjson.decode(raw)
if rec.user_id ~= user then return {'not_found'} end
if rec.status == 'cancelled' then return {'ok', raw} end
if rec.status ~= 'reserved' then return {'invalid_state', rec.status} end
release(order_id, rec, 'cancelled', now_ms())
return {'ok', cjson.encode(rec)}

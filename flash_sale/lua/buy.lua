-- buy: decide one purchase atomically.
-- KEYS: the sale's keys (see _common.lua), KEYS[10] = the buyer's rate-limit key.
-- ARGV: [1] sale_id [2] user_id [3] idempotency key [4] quantity [5] 'pickup'|'delivery'
--       [6] store_id (pickup) or '' [7] lng [8] lat (delivery; for pickup '' )
--       [9] fulfillment JSON (stored verbatim in the order) [10] nickname
-- Returns one of:
--   {'ok', order_json, remaining}        a new reservation
--   {'dup', order_json}                  the same user + key already has this order
--   {'not_found'} {'not_started', starts_ms} {'ended'} {'rate_limited'}
--   {'sold_out', remaining, seq} {'limit_exceeded', held, limit}
--   {'no_stock_at_store', suggestions_json}   pickup store lacks the quantity
local sale_id, user, key, qty, ftype = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]

local m = redis.call('HMGET', K_META, 'starts_ms', 'ends_ms', 'limit', 'timeout_ms', 'rate', 'price',
  'remaining', 'state', 'sku', 'room_id', 'seq', 'seq_step')
if not m[1] then return {'not_found'} end

local ik = user .. '|' .. key
local existing = redis.call('HGET', K_IDEM, ik)
if existing then return {'dup', redis.call('HGET', K_ORDERS, existing)} end

local ts = now_ms()
if ts < tonumber(m[1]) then return {'not_started', m[1]} end
if ts >= tonumber(m[2]) or m[8] ~= 'open' then return {'ended'} end

local hits = redis.call('INCR', KEYS[10])
if hits == 1 then redis.call('PEXPIRE', KEYS[10], 1000) end
if hits > tonumber(m[5]) then return {'rate_limited'} end

local remaining = tonumber(m[7])
if remaining < qty then return {'sold_out', remaining, m[11]} end

local limit = tonumber(m[3])
local held = tonumber(redis.call('HGET', K_USERS, user) or '0')
if held + qty > limit then return {'limit_exceeded', held, limit} end

local store
if ftype == 'pickup' then
  store = ARGV[6]
  local left = tonumber(redis.call('HGET', K_STOCK, store) or '-1')
  if left < qty then
    local near = {}
    local p = redis.call('GEOPOS', K_POS, store)[1]
    if p then near = nearest_with_stock(p[1], p[2], qty, 3) end
    return {'no_stock_at_store', cjson.encode(near), left < 0 and 'unknown' or 'empty'}
  end
else
  local near = nearest_with_stock(ARGV[7], ARGV[8], qty, 1)
  if #near == 0 then return {'sold_out', remaining, m[11]} end
  store = near[1][1]
end

local left = redis.call('HINCRBY', K_STOCK, store, -qty)
if left == 0 then redis.call('ZREM', K_GEO, store) end
remaining = redis.call('HINCRBY', K_META, 'remaining', -qty)
redis.call('HINCRBY', K_META, 'reserved', qty)
redis.call('HINCRBY', K_USERS, user, qty)
-- a hot sale's buckets number their orders apart: bucket b of K takes b+1, b+1+K, ...
local seq = redis.call('HINCRBY', K_META, 'seq', tonumber(m[12] or '1'))
local order_id = sale_id .. '-' .. seq
local expires = ts + tonumber(m[4])
local rec = {
  order_id = order_id, sale_id = sale_id, user_id = user, nickname = ARGV[10], sku = m[9],
  quantity = qty, amount_cents = qty * tonumber(m[6]), store_id = store,
  fulfillment = cjson.decode(ARGV[9]), status = 'reserved', created_ms = ts, expires_ms = expires,
  idempotency_key = key, room_id = m[10]
}
local json = cjson.encode(rec)
redis.call('HSET', K_ORDERS, order_id, json)
redis.call('HSET', K_IDEM, ik, order_id)
redis.call('ZADD', K_DEADLINES, expires, order_id)
redis.call('XADD', K_EVENTS, '*', 'type', 'reserved', 'order_id', order_id, 'order', json, 'ts_ms', ts)
return {'ok', json, remaining}

-- Shared helpers, prepended to every flash-sale script before it is loaded (one SHA per script).
--
-- Every script of one sale receives the same KEYS, all under the sale's hash tag {fs:<id>}:
--   KEYS[1] meta       hash   sku, price, starts_ms, ends_ms, limit, timeout_ms, rate, state,
--                            allocated, remaining, reserved, sold, seq, room_id, sale_id
--   KEYS[2] stock      hash   store_id -> units left
--   KEYS[3] geo        geo    stores that still hold stock (removed at 0, re-added on return)
--   KEYS[4] pos        geo    every allocated store (never changes after load)
--   KEYS[5] users      hash   user_id -> units held (reserved + paid)
--   KEYS[6] idem       hash   "<user>|<idempotency key>" -> order_id
--   KEYS[7] orders     hash   order_id -> JSON order record
--   KEYS[8] deadlines  zset   order_id scored by payment deadline (ms)
--   KEYS[9] events     stream reserved / paid / cancelled / expired, consumed by the ledger
--   KEYS[10] rl        string per-user rate-limit window (buy only)

local K_META, K_STOCK, K_GEO, K_POS, K_USERS, K_IDEM, K_ORDERS, K_DEADLINES, K_EVENTS =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]

local EARTH_KM = 20038

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Put units back into a store's bucket and make the store routable again.
local function restock(store, qty)
  local left = redis.call('HINCRBY', K_STOCK, store, qty)
  if left == qty then
    local p = redis.call('GEOPOS', K_POS, store)[1]
    if p then redis.call('GEOADD', K_GEO, p[1], p[2], store) end
  end
  redis.call('HINCRBY', K_META, 'remaining', qty)
end

-- Close a reserved order (cancelled or expired): stock returns exactly once, because the
-- status flips from 'reserved' inside the same atomic script that returns it.
local function release(order_id, rec, reason, ts)
  rec.status = reason
  rec.closed_ms = ts
  redis.call('HSET', K_ORDERS, order_id, cjson.encode(rec))
  redis.call('ZREM', K_DEADLINES, order_id)
  restock(rec.store_id, rec.quantity)
  redis.call('HINCRBY', K_META, 'reserved', -rec.quantity)
  local held = redis.call('HINCRBY', K_USERS, rec.user_id, -rec.quantity)
  if held <= 0 then redis.call('HDEL', K_USERS, rec.user_id) end
  redis.call('XADD', K_EVENTS, '*', 'type', reason, 'order_id', order_id, 'sale_id', rec.sale_id,
    'user_id', rec.user_id, 'store_id', rec.store_id, 'quantity', rec.quantity, 'ts_ms', ts)
end

-- Nearest stores (from lng/lat) whose bucket holds at least qty, as {store, km, left}.
local function nearest_with_stock(lng, lat, qty, want)
  local found = {}
  local hits = redis.call('GEOSEARCH', K_GEO, 'FROMLONLAT', lng, lat, 'BYRADIUS', EARTH_KM, 'km', 'ASC', 'WITHDIST')
  for _, h in ipairs(hits) do
    local left = tonumber(redis.call('HGET', K_STOCK, h[1]) or '0')
    if left >= qty then
      found[#found + 1] = {h[1], h[2], left}
      if #found >= want then break end
    end
  end
  return found
end

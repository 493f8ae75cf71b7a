-- give: a hot sale's bucket hands up to n units to another bucket (first half of a transfer).
-- The units leave this bucket's stock and allocation here, atomically, and the transfer is kept in
-- the bucket's xfer hash until the receiver has applied it (receive.lua), so a crash in between
-- loses nothing: the pending transfer is replayed, and receive.lua applies each id once.
-- KEYS: the bucket's keys (see _common.lua), KEYS[10] = its xfer hash.
-- ARGV: [1] transfer id [2] receiving bucket id [3] n [4] store_id to take from, or '' for any
-- Returns the transfer JSON {to, stores = {store: units}}, or false when nothing could be given.
local id, to, want, only = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', K_META) == 0 then return false end
local sent = redis.call('HGET', KEYS[10], id)
if sent then return sent end  -- the same call again (a retry after a lost reply): taken once
local stores = {}
if only ~= '' then
  stores[1] = {only, tonumber(redis.call('HGET', K_STOCK, only) or '0')}
else
  local flat = redis.call('HGETALL', K_STOCK)
  for i = 1, #flat, 2 do stores[#stores + 1] = {flat[i], tonumber(flat[i + 1])} end
  table.sort(stores, function(a, b) return a[2] > b[2] end)
end
local moved, total = {}, 0
for _, s in ipairs(stores) do
  if total >= want then break end
  local take = math.min(s[2], want - total)
  if take > 0 then
    local left = redis.call('HINCRBY', K_STOCK, s[1], -take)
    if left == 0 then redis.call('ZREM', K_GEO, s[1]) end
    moved[s[1]] = take
    total = total + take
  end
end
if total == 0 then return false end
redis.call('HINCRBY', K_META, 'remaining', -total)
redis.call('HINCRBY', K_META, 'allocated', -total)
local rec = cjson.encode({to = to, stores = moved})
redis.call('HSET', KEYS[10], id, rec)
return rec

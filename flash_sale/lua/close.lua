-- close: end a sale early (host action) or mark it settled. New buys get 'ended'; payments
-- and expiries of existing reservations continue.
-- KEYS: the sale's keys (see _common.lua).
-- ARGV: [1] new state ('closed' | 'settled')
-- Returns the previous state, or false when the sale is unknown.
local prev = redis.call('HGET', K_META, 'state')
if not prev then return false end
redis.call('HSET', K_META, 'state', ARGV[1])
return prev

-- End a room (created or live): it never goes live again.
-- KEYS[1] room hash, KEYS[2] lease (the live index is updated by the caller)
-- ARGV[1] session id ("" ends whatever publishes), ARGV[2] now (epoch seconds), ARGV[3] room id
-- Returns "ok", "missing", "ended" (already ended) or "other" (another session publishes).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'ended' then return 'ended' end
if ARGV[1] ~= '' and status == 'live' and redis.call('HGET', KEYS[1], 'session') ~= ARGV[1] then
  return 'other'
end
redis.call('HSET', KEYS[1], 'status', 'ended', 'ended_at', ARGV[2])
redis.call('DEL', KEYS[2])
return 'ok'

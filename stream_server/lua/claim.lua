-- Make a room live for one publisher session, atomically (a second publisher is refused).
-- KEYS[1] room hash  lc:room:{<id>}
-- KEYS[2] lease      lc:room:{<id>}:lease   (exists while the publishing process is alive)
-- ARGV[1] session id, ARGV[2] now (epoch seconds), ARGV[3] lease ttl (ms), ARGV[4] room id,
-- ARGV[5] the owner's internal address ("" when other processes cannot reach it: nothing to proxy to)
-- Returns "ok", "missing", "live" (someone publishes) or "ended" (a stale live room is ended here).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'ended' then return 'ended' end
if status == 'live' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'live' end
  redis.call('HSET', KEYS[1], 'status', 'ended', 'ended_at', ARGV[2])
  return 'ended'
end
redis.call('HSET', KEYS[1], 'status', 'live', 'session', ARGV[1], 'started_at', ARGV[2], 'owner', ARGV[5])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return 'ok'

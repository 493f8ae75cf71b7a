-- Undo a claim whose WebRTC negotiation failed: the room goes back to "created".
-- KEYS[1] room hash, KEYS[2] lease (the live index is updated by the caller)
-- ARGV[1] session id, ARGV[2] room id
-- Returns 1 if released, 0 if the room is not live for that session.
if redis.call('HGET', KEYS[1], 'status') ~= 'live' or redis.call('HGET', KEYS[1], 'session') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'created')
redis.call('HDEL', KEYS[1], 'session', 'started_at', 'owner')
redis.call('DEL', KEYS[2])
return 1

-- Renew the publishing process's lease while the room is still live for its session.
-- KEYS[1] room hash, KEYS[2] lease
-- ARGV[1] session id, ARGV[2] lease ttl (ms)
-- Returns 1 if renewed, 0 if the room was ended (or taken) elsewhere: the publisher must stop.
if redis.call('HGET', KEYS[1], 'status') ~= 'live' or redis.call('HGET', KEYS[1], 'session') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1

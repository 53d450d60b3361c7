-- Store the response of a started request. KEYS: the record hash.
-- ARGV: lease, response, ttl (ms). Replies 1 if stored (or stored already by this very
-- call), 0 if the lease no longer holds the key.
local r = redis.call('HMGET', KEYS[1], 'lease', 'state')
if r[1] ~= ARGV[1] then
  return 0
end
if r[2] == 'd' then
  return 1
end
if r[2] ~= 'p' then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'd', 'resp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1

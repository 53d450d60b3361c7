-- Release a started request's key so that a retry runs again. KEYS: the record hash.
-- ARGV: lease. Replies 1 if released (or released already by this very call), else 0.
-- The record stays, marked aborted (begin treats it as absent), until its lock expires.
local r = redis.call('HMGET', KEYS[1], 'lease', 'state')
if r[1] ~= ARGV[1] then
  return 0
end
if r[2] == 'a' then
  return 1
end
if r[2] ~= 'p' then
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'a')
return 1

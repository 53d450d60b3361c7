-- KEYS: user index set. ARGV: now (ms), family key prefix.
-- Replies eight strings per live session: family id, user, created, last used, expires at,
-- token expires at, user agent, ip. Ended sessions leave the index on the way.
local now = tonumber(ARGV[1])
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'uid', 'created', 'used', 'exp', 'texp', 'ua', 'ip', 'rev')
  if f[1] and f[8] ~= '1' and now < tonumber(f[4]) and now < tonumber(f[5]) then
    table.insert(out, id)
    for i = 1, 7 do table.insert(out, f[i]) end
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out

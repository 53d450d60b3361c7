-- Log out everywhere. KEYS: user index set. ARGV: now (ms), family key prefix.
-- The families share the index's hash tag, so they live on the same cluster slot.
-- Replies the number of live sessions revoked.
local now = tonumber(ARGV[1])
local revoked = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. id
  local f = redis.call('HMGET', key, 'exp', 'texp', 'rev')
  if f[1] and f[3] ~= '1' and now < tonumber(f[1]) and now < tonumber(f[2]) then
    redis.call('HSET', key, 'rev', '1', 'next', '')
    revoked = revoked + 1
  end
end
redis.call('DEL', KEYS[1])
return revoked

-- KEYS: family hash. ARGV: now (ms). Replies 1 if a live session was revoked, else 0.
local f = redis.call('HMGET', KEYS[1], 'exp', 'texp', 'rev')
local now = tonumber(ARGV[1])
if not f[1] or f[3] == '1' or now >= tonumber(f[1]) or now >= tonumber(f[2]) then
  return 0
end
redis.call('HSET', KEYS[1], 'rev', '1', 'next', '')
return 1

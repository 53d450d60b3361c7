-- Logout with a token. KEYS: family hash, spent-token set. ARGV: token hash, now (ms).
-- Replies 2 (revoked now), 1 (the session had already ended), 0 (no session has this token).
local f = redis.call('HMGET', KEYS[1], 'cur', 'exp', 'texp', 'rev')
local now = tonumber(ARGV[2])
if not f[1] or now >= tonumber(f[2]) then
  return 0
end
if f[1] ~= ARGV[1] and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  return 0
end
if f[4] == '1' or now >= tonumber(f[3]) then
  return 1
end
redis.call('HSET', KEYS[1], 'rev', '1', 'next', '')
return 2

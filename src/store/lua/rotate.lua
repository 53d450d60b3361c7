-- Rotation with reuse detection. KEYS: family hash, spent-token set.
-- ARGV: presented hash, next hash, now (ms), next token expires at (ms), grace (ms),
-- sealed successor, user agent, ip (empty strings: not given).
-- Replies: {'rotated', user, expires at} | {'replayed', user, sealed successor}
--        | {'reused'} | {'revoked'} | {'unknown'}
local f = redis.call('HMGET', KEYS[1], 'uid', 'cur', 'prev', 'rot', 'next', 'exp', 'rev')
local uid, cur, prev, exp = f[1], f[2], f[3], f[6]
local presented, now = ARGV[1], tonumber(ARGV[3])
if not uid or now >= tonumber(exp) then
  return {'unknown'}
end
if f[7] == '1' then
  if cur == presented or redis.call('SISMEMBER', KEYS[2], presented) == 1 then
    return {'revoked'}
  end
  return {'unknown'}
end
if cur == presented then
  redis.call('SADD', KEYS[2], presented)
  redis.call('PEXPIREAT', KEYS[2], exp)
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', presented, 'rot', ARGV[3],
    'next', ARGV[6], 'used', ARGV[3], 'texp', ARGV[4])
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'ua', ARGV[7]) end
  if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'ip', ARGV[8]) end
  return {'rotated', uid, exp}
end
if prev == presented then
  -- This very request again (a client library retried it): the same answer.
  if cur == ARGV[2] then
    return {'rotated', uid, exp}
  end
  local grace = tonumber(ARGV[5])
  if grace > 0 and now - tonumber(f[4]) <= grace and f[5] ~= '' then
    redis.call('HSET', KEYS[1], 'next', '')
    return {'replayed', uid, f[5]}
  end
end
if redis.call('SISMEMBER', KEYS[2], presented) == 1 then
  redis.call('HSET', KEYS[1], 'rev', '1', 'next', '')
  return {'reused'}
end
return {'unknown'}

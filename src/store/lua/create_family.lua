-- A new session. KEYS: family hash, user index set.
-- ARGV: user id, token hash, now (ms), expires at (ms), token expires at (ms), user agent,
-- ip, family id. Empty strings stand for "not given".
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'cur', ARGV[2], 'prev', '', 'rot', '0',
  'next', '', 'created', ARGV[3], 'used', ARGV[3], 'exp', ARGV[4], 'texp', ARGV[5],
  'ua', ARGV[6], 'ip', ARGV[7], 'rev', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[8])
-- The index lives as long as the longest session it lists.
local remaining = tonumber(ARGV[4]) - tonumber(ARGV[3])
if redis.call('PTTL', KEYS[2]) < remaining then
  redis.call('PEXPIRE', KEYS[2], remaining)
end
return 1

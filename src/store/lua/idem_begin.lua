-- Start a request under an idempotency key. KEYS: the record hash.
-- ARGV: fingerprint, lease, lock ttl (ms).
-- Replies {'started'} | {'done', response} | {'mismatch'} | {'in_progress'}.
-- Run twice with one lease (a lost answer re-sent) it answers 'started' both times.
local r = redis.call('HMGET', KEYS[1], 'fp', 'lease', 'state')
if not r[1] or r[3] == 'a' then
  -- An aborted record never had a response: these fields are all it holds.
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'lease', ARGV[2], 'state', 'p')
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'started'}
end
if r[1] ~= ARGV[1] then
  return {'mismatch'}
end
if r[3] == 'p' then
  if r[2] == ARGV[2] then
    return {'started'}
  end
  return {'in_progress'}
end
return {'done', redis.call('HGET', KEYS[1], 'resp')}

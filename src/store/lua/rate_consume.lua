-- One hit on a sliding-window rate limit. KEYS: the key's log, a list of "<ms>-<call id>",
-- oldest first, holding the allowed hits still in the window.
-- ARGV: limit, window (ms), this call's id, '1' when the call is sent again because its
-- connection dropped before the answer came back.
-- Reply: {allowed (1 or 0), hits in the window after this one, oldest, newest, now} (ms).
--
-- The clock is the server's, so every app server sharing this Redis counts on one clock.
-- Denied hits write nothing: they neither count nor extend the lockout.
--
-- Sent again, a call must not count twice: if its first send was recorded, its id is among
-- the newest entries, so it is answered as allowed without a second entry. Only the newest
-- RESCAN entries are searched: the second send follows the first within the store's command
-- timeout, and for its entry to fall out of reach more than RESCAN other hits on this key
-- would have to be allowed in between. Even then the error is one extra hit counted, which
-- makes the limit stricter, never looser.
local RESCAN = 256
if redis.replicate_commands then redis.replicate_commands() end
local key, limit, window, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function at(entry)
  return tonumber(string.match(entry, '^%d+'))
end

local cutoff = now - window
local head = redis.call('LINDEX', key, 0)
while head and at(head) <= cutoff do
  redis.call('LPOP', key)
  head = redis.call('LINDEX', key, 0)
end
if not head then
  redis.call('RPUSH', key, now .. '-' .. id)
  redis.call('PEXPIREAT', key, now + window)
  return {1, 1, now, now, now}
end

local count = redis.call('LLEN', key)
if ARGV[4] == '1' then
  local suffix = '-' .. id
  local recent = redis.call('LRANGE', key, -RESCAN, -1)
  for i = #recent, 1, -1 do
    if string.sub(recent[i], -#suffix) == suffix then
      return {1, count, at(head), at(recent[#recent]), now}
    end
  end
end
if count < limit then
  -- A server clock that stepped back would put this hit before the newest: it is recorded
  -- at `now` all the same, and can only stay in the log longer than it should.
  redis.call('RPUSH', key, now .. '-' .. id)
  redis.call('PEXPIREAT', key, now + window)
  return {1, count + 1, at(head), now, now}
end
return {0, count, at(head), at(redis.call('LINDEX', key, -1)), now}

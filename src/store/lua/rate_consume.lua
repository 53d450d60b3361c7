-- One hit on a sliding-window rate limit. KEYS: the key's log, a list of "<ms>-<call id>",
-- oldest first, holding the allowed hits still in the window.
-- ARGV: limit, window (ms), this call's random id, '1' when the call is sent again because
-- its connection dropped before the answer came back.
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

local last = redis.call('LINDEX', key, -1)
if last then
  -- Times stay in order if the server's clock steps back.
  local newest = at(last)
  if newest > now then now = newest end
end
local cutoff = now - window
while true do
  local head = redis.call('LINDEX', key, 0)
  if not head or at(head) > cutoff then break end
  redis.call('LPOP', key)
end

local count = redis.call('LLEN', key)
if ARGV[4] == '1' and count > 0 then
  local suffix = '-' .. id
  local recent = redis.call('LRANGE', key, -RESCAN, -1)
  for i = #recent, 1, -1 do
    if string.sub(recent[i], -#suffix) == suffix then
      return {1, count, at(redis.call('LINDEX', key, 0)), at(recent[#recent]), now}
    end
  end
end

if count < limit then
  redis.call('RPUSH', key, now .. '-' .. id)
  redis.call('PEXPIREAT', key, now + window)
  local oldest = now
  if count > 0 then oldest = at(redis.call('LINDEX', key, 0)) end
  return {1, count + 1, oldest, now, now}
end
return {0, count, at(redis.call('LINDEX', key, 0)), at(redis.call('LINDEX', key, -1)), now}

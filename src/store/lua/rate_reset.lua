-- Forgets a key's rate-limit log. KEYS: the log. Replies 1 if there was one, else 0.
return redis.call('DEL', KEYS[1])

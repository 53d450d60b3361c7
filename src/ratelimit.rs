//! Rate limiting with an exact sliding window: "`limit` per `window`" means at most `limit`
//! allowed hits in *any* span of `window` milliseconds, so there is no burst of twice the
//! limit where two fixed windows meet.
//!
//! Each key keeps the times of its allowed hits still inside the window, oldest first. A
//! hit drops from the front every time that has left the window; if fewer than `limit`
//! remain it is allowed and its time appended, otherwise it is denied and *not* recorded, so
//! a client hammering a locked key does not push its own lockout further out. Work per hit
//! is amortised O(1) and a key holds at most `limit` times; it is forgotten `window` after
//! its newest hit.
//!
//! The memory store runs [`SlidingLog`] under its lock; the Redis store runs the same steps
//! in one Lua script (`store/lua/rate_consume.lua`) on the server's clock. Both report a
//! [`LogState`], which [`Decision::from_state`] turns into what callers see.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{digest, SHA256};

use crate::error::{Error, Result};
use crate::store::Store;

/// The largest `limit`: a key never holds more than this many times.
pub const MAX_LIMIT: u32 = 100_000;
/// The longest window: one year (365.25 days, the `"1y"` of duration strings), in ms.
pub const MAX_WINDOW_MS: u64 = 31_557_600_000;
/// The longest key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The longest limiter name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

#[derive(Debug, Clone)]
pub struct LimiterConfig {
    /// Allowed hits per window (checked to be an integer here).
    pub limit: f64,
    /// The window, in ms.
    pub window: u64,
    /// Limiters with the same name share their keys' logs; without one, a limiter's logs are
    /// its own (scoped by its limit and window).
    pub name: Option<String>,
}

/// A log's state right after one consume, as either store reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogState {
    pub allowed: bool,
    /// Times in the window after this hit (recorded or not).
    pub count: u32,
    /// The oldest and newest time in the window (both `now` for an empty log).
    pub oldest: u64,
    pub newest: u64,
    /// The clock the decision was made on (the server's, for Redis).
    pub now: u64,
}

/// What a caller learns from one consume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    /// Hits still allowed now, after this one.
    pub remaining: u32,
    /// Whole seconds (rounded up) until a hit would be allowed; 0 when this one was.
    pub retry_after: u32,
    /// When the log is empty again and the whole allowance back (ms since the epoch).
    pub reset_at: u64,
    /// Whole seconds (rounded up) until `reset_at`, on the clock the decision was made on.
    pub reset_after: u32,
}

fn seconds_until(then: u64, now: u64) -> u32 {
    u32::try_from(then.saturating_sub(now).div_ceil(1000)).unwrap_or(u32::MAX)
}

impl Decision {
    pub fn from_state(state: LogState, limit: u32, window: u64) -> Decision {
        let retry_after = if state.allowed {
            0
        } else {
            // The oldest time leaves the window at oldest + window; a hit is allowed then.
            seconds_until(state.oldest + window, state.now)
        };
        let reset_at = if state.count == 0 {
            state.now
        } else {
            state.newest + window
        };
        Decision {
            allowed: state.allowed,
            limit,
            remaining: limit.saturating_sub(state.count),
            retry_after,
            reset_at,
            reset_after: seconds_until(reset_at, state.now),
        }
    }
}

/// The allowed hits of one key still inside the window, oldest first.
#[derive(Debug, Default, Clone)]
pub struct SlidingLog {
    hits: VecDeque<u64>,
}

impl SlidingLog {
    /// Records a hit at `now` if fewer than `limit` hits fall in the window ending at `now`.
    pub fn consume(&mut self, now: u64, limit: u32, window: u64) -> LogState {
        // Times stay in order even if the clock steps back: a hit is never older than the
        // newest one recorded.
        let now = now.max(self.hits.back().copied().unwrap_or(0));
        self.forget_before(now, window);
        let allowed = self.hits.len() < limit as usize;
        if allowed {
            self.hits.push_back(now);
        }
        LogState {
            allowed,
            count: self.hits.len() as u32,
            oldest: self.hits.front().copied().unwrap_or(now),
            newest: self.hits.back().copied().unwrap_or(now),
            now,
        }
    }

    /// Drops every time at or before `now - window`: those hits have left the window.
    pub fn forget_before(&mut self, now: u64, window: u64) {
        // Before `window` has passed since the epoch no time can have left it.
        let Some(cutoff) = now.checked_sub(window) else {
            return;
        };
        while self.hits.front().is_some_and(|&t| t <= cutoff) {
            self.hits.pop_front();
        }
    }

    /// When the log is empty again: its newest time plus the window.
    pub fn expires_at(&self, window: u64) -> Option<u64> {
        self.hits.back().map(|&t| t + window)
    }

    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }
}

/// A consume as the stores run it.
#[derive(Debug, Clone, Copy)]
pub struct Consume<'a> {
    /// The limiter's name or digest, and the caller's key: the log is `<scope>:<key>`.
    pub scope: &'a str,
    pub key: &'a str,
    pub limit: u32,
    pub window: u64,
    /// This process's clock (ms); the Redis store uses the server's instead.
    pub now: u64,
}

pub struct RateLimiter {
    store: Store,
    limit: u32,
    window: u64,
    scope: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn check_limit(limit: f64) -> Result<u32> {
    if !(limit.fract() == 0.0 && (1.0..=MAX_LIMIT as f64).contains(&limit)) {
        // Spelled as JavaScript prints numbers, since that is where it came from.
        let got = match limit {
            f64::INFINITY => "Infinity".to_owned(),
            f64::NEG_INFINITY => "-Infinity".to_owned(),
            _ => limit.to_string(),
        };
        return Err(Error::invalid_option(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}, got {got}"
        )));
    }
    Ok(limit as u32)
}

fn check_window(window: u64) -> Result<u64> {
    if !(1..=MAX_WINDOW_MS).contains(&window) {
        return Err(Error::invalid_option(format!(
            "window must be from 1 millisecond to 1 year, got {window} ms"
        )));
    }
    Ok(window)
}

fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !valid {
        return Err(Error::invalid_option(format!(
            "name must be 1 to {MAX_NAME_BYTES} letters, digits, '_', '-' or '.', got {name:?}"
        )));
    }
    Ok(())
}

/// Keys come from requests (an IP, an email address): anything but empty or huge.
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::RateLimitKeyInvalid("the key is empty".into()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::RateLimitKeyInvalid(
            format!("the key is longer than {MAX_KEY_BYTES} bytes").into(),
        ));
    }
    Ok(())
}

/// Where a limiter's logs live: its name, or a digest of its limit and window, so two
/// unnamed limiters with different settings never count into one log. Names cannot contain
/// ':' and digests are hex, so `<scope>:<key>` cannot be read two ways.
fn scope(name: Option<&str>, limit: u32, window: u64) -> String {
    match name {
        Some(name) => name.to_owned(),
        None => {
            let hash = digest(&SHA256, format!("{limit}/{window}").as_bytes());
            hash.as_ref()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
    }
}

impl RateLimiter {
    pub fn new(store: Store, config: LimiterConfig) -> Result<Self> {
        let limit = check_limit(config.limit)?;
        let window = check_window(config.window)?;
        if let Some(name) = &config.name {
            check_name(name)?;
        }
        Ok(RateLimiter {
            store,
            limit,
            window,
            scope: scope(config.name.as_deref(), limit, window),
        })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The window, in ms.
    pub fn window(&self) -> u64 {
        self.window
    }

    /// The name, or the digest that stands for it (the middle part of the store key).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Whether every operation completes without waiting on I/O (see `Store::is_in_process`).
    pub fn is_in_process(&self) -> bool {
        self.store.is_in_process()
    }

    /// One hit for `key`: allowed and recorded, or denied and not recorded.
    pub async fn consume(&self, key: &str) -> Result<Decision> {
        self.consume_at(key, now_ms()).await
    }

    /// `consume` on a given clock (ms); the Redis store uses the server's instead.
    pub async fn consume_at(&self, key: &str, now: u64) -> Result<Decision> {
        check_key(key)?;
        let state = self.store.rate_consume(&self.hit(key, now)).await?;
        Ok(Decision::from_state(state, self.limit, self.window))
    }

    /// `consume` without a future on a store without I/O (the memory store); `None` otherwise.
    pub fn consume_in_process(&self, key: &str) -> Option<Result<Decision>> {
        let hit = self.hit(key, now_ms());
        if let Err(error) = check_key(key) {
            return self.is_in_process().then_some(Err(error));
        }
        let state = self.store.rate_consume_in_process(&hit)?;
        Some(Ok(Decision::from_state(state, self.limit, self.window)))
    }

    fn hit<'a>(&'a self, key: &'a str, now: u64) -> Consume<'a> {
        Consume {
            scope: &self.scope,
            key,
            limit: self.limit,
            window: self.window,
            now,
        }
    }

    /// Forgets `key` (e.g. after a successful login); true if it had a log.
    pub async fn reset(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        self.store.rate_reset(&self.scope, key).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::MemoryStore;

    const T: u64 = 1_700_000_000_000;
    const W: u64 = 60_000;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn limiter(limit: f64, window: u64, name: Option<&str>) -> Result<RateLimiter> {
        limiter_on(Arc::new(MemoryStore::new()), limit, window, name)
    }

    fn limiter_on(
        store: Arc<MemoryStore>,
        limit: f64,
        window: u64,
        name: Option<&str>,
    ) -> Result<RateLimiter> {
        RateLimiter::new(
            Store::Memory(store),
            LimiterConfig {
                limit,
                window,
                name: name.map(str::to_owned),
            },
        )
    }

    fn at(limiter: &RateLimiter, key: &str, now: u64) -> Decision {
        block_on(limiter.consume_at(key, now)).unwrap()
    }

    #[test]
    fn n_hits_then_denied_until_the_oldest_leaves_the_window() {
        let l = limiter(3.0, W, None).unwrap();
        for remaining in [2, 1, 0] {
            let d = at(&l, "k", T);
            assert!(d.allowed);
            assert_eq!(
                (d.remaining, d.retry_after, d.reset_at),
                (remaining, 0, T + W)
            );
            assert_eq!(d.reset_after, 60);
        }
        // The boundary: one millisecond before the window has passed, still denied ...
        let denied = at(&l, "k", T + W - 1);
        assert!(!denied.allowed);
        assert_eq!((denied.remaining, denied.retry_after), (0, 1));
        assert_eq!(denied.reset_at, T + W);
        assert_eq!(denied.reset_after, 1);
        // ... exactly a window later the hits at T have left it.
        let d = at(&l, "k", T + W);
        assert!(d.allowed);
        assert_eq!((d.remaining, d.reset_at), (2, T + 2 * W));
    }

    #[test]
    fn denied_hits_are_not_recorded() {
        let l = limiter(2.0, W, None).unwrap();
        at(&l, "k", T);
        at(&l, "k", T + 10);
        // Hammering while locked out does not push the lockout further.
        for i in 1..100 {
            let d = at(&l, "k", T + 10 + i * 100);
            assert!(!d.allowed);
            assert_eq!(d.reset_at, T + 10 + W);
        }
        let d = at(&l, "k", T + W);
        assert!(d.allowed, "the hit at T left the window");
        assert_eq!(d.remaining, 0);
        let d = at(&l, "k", T + W + 5);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, 1); // until T + 10 + W, 5 ms away: rounds up
        assert!(at(&l, "k", T + W + 10).allowed);
    }

    #[test]
    fn no_double_burst_where_fixed_windows_would_meet() {
        // 5 per second: a fixed window would allow 5 at 0.999 s and 5 more at 1.000 s.
        let l = limiter(5.0, 1000, None).unwrap();
        for _ in 0..5 {
            assert!(at(&l, "k", T + 999).allowed);
        }
        assert!(!at(&l, "k", T + 1000).allowed);
        assert!(!at(&l, "k", T + 1998).allowed);
        assert!(at(&l, "k", T + 1999).allowed);
        // In any span of one second, never more than five allowed.
        let l = limiter(5.0, 1000, None).unwrap();
        let mut allowed = Vec::new();
        for step in 0..5000u64 {
            let now = T + step * 7;
            if at(&l, "k", now).allowed {
                allowed.push(now);
            }
        }
        for (i, &start) in allowed.iter().enumerate() {
            let within = allowed[i..]
                .iter()
                .take_while(|&&t| t < start + 1000)
                .count();
            assert!(within <= 5, "{within} hits in the second from {start}");
        }
        assert!(allowed.len() > 150);
    }

    #[test]
    fn retry_after_counts_whole_seconds_up_to_the_oldest_hit_leaving() {
        let l = limiter(1.0, 10_000, None).unwrap();
        at(&l, "k", T);
        assert_eq!(at(&l, "k", T + 1).retry_after, 10);
        assert_eq!(at(&l, "k", T + 1000).retry_after, 9);
        assert_eq!(at(&l, "k", T + 1001).retry_after, 9);
        assert_eq!(at(&l, "k", T + 9999).retry_after, 1);
    }

    #[test]
    fn the_clock_stepping_back_keeps_times_in_order() {
        let l = limiter(2.0, W, None).unwrap();
        at(&l, "k", T + 1000);
        let d = at(&l, "k", T);
        assert!(d.allowed);
        assert_eq!(d.reset_at, T + 1000 + W);
        assert!(!at(&l, "k", T + W + 999).allowed);
        assert!(at(&l, "k", T + W + 1000).allowed);
    }

    #[test]
    fn keys_and_limiters_are_separate_unless_they_share_a_name() {
        let store = Arc::new(MemoryStore::new());
        let five = limiter_on(store.clone(), 1.0, W, None).unwrap();
        let other_window = limiter_on(store.clone(), 1.0, W + 1, None).unwrap();
        let same = limiter_on(store.clone(), 1.0, W, None).unwrap();
        assert!(at(&five, "a", T).allowed);
        assert!(at(&five, "b", T).allowed);
        assert!(at(&other_window, "a", T).allowed);
        assert!(!at(&same, "a", T).allowed, "same settings, same log");
        let named = limiter_on(store.clone(), 1.0, W, Some("login")).unwrap();
        let named_too = limiter_on(store.clone(), 3.0, 1000, Some("login")).unwrap();
        assert!(at(&named, "a", T).allowed);
        // The same log: the hit of the other limiter counts.
        assert_eq!(at(&named_too, "a", T).remaining, 1);
        assert_eq!(store.rate_limit_keys(), 4);
        assert_ne!(five.scope(), other_window.scope());
        assert_eq!(five.scope(), same.scope());
        assert_eq!(five.scope().len(), 16);
        assert_eq!(named.scope(), "login");
    }

    #[test]
    fn the_in_process_path_decides_like_the_async_one() {
        let l = limiter(2.0, W, None).unwrap();
        let first = l.consume_in_process("k").unwrap().unwrap();
        assert_eq!(
            (first.allowed, first.remaining, first.retry_after),
            (true, 1, 0)
        );
        assert!(l.consume_in_process("k").unwrap().unwrap().allowed);
        let denied = l.consume_in_process("k").unwrap().unwrap();
        assert_eq!(
            (denied.allowed, denied.remaining, denied.retry_after),
            (false, 0, 60)
        );
        assert!(
            !block_on(l.consume("k")).unwrap().allowed,
            "one log for both paths"
        );
        let err = l.consume_in_process("").unwrap().unwrap_err();
        assert_eq!(err.code(), "ERR_RATE_LIMIT_KEY_INVALID");
    }

    #[test]
    fn reset_forgets_the_key() {
        let l = limiter(1.0, W, None).unwrap();
        at(&l, "k", T);
        assert!(!at(&l, "k", T + 1).allowed);
        assert!(block_on(l.reset("k")).unwrap());
        assert!(!block_on(l.reset("k")).unwrap());
        assert!(at(&l, "k", T + 2).allowed);
    }

    #[test]
    fn keys_must_be_non_empty_and_at_most_1024_bytes() {
        let l = limiter(1.0, W, None).unwrap();
        let code =
            |key: &str| block_on(l.consume_at(key, T)).map_err(|e| (e.code(), e.to_string()));
        assert_eq!(
            code("").unwrap_err(),
            (
                "ERR_RATE_LIMIT_KEY_INVALID",
                "Rate limit key is invalid: the key is empty".into()
            )
        );
        assert!(code(&"é".repeat(512)).is_ok());
        assert_eq!(
            code(&format!("{}x", "é".repeat(512))).unwrap_err(),
            (
                "ERR_RATE_LIMIT_KEY_INVALID",
                "Rate limit key is invalid: the key is longer than 1024 bytes".into()
            )
        );
        assert!(block_on(l.reset("")).is_err());
    }

    #[test]
    fn limits_windows_and_names_are_checked() {
        let message = |limit, window, name| match limiter(limit, window, name) {
            Ok(_) => panic!("accepted {limit} / {window} / {name:?}"),
            Err(e) => {
                assert_eq!(e.code(), "ERR_INVALID_OPTION");
                e.to_string()
            }
        };
        for (limit, shown) in [
            (0.0, "0"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (100_001.0, "100001"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(
                message(limit, W, None),
                format!("limit must be an integer from 1 to 100000, got {shown}")
            );
        }
        assert!(limiter(100_000.0, W, None).is_ok());
        assert_eq!(
            message(1.0, 0, None),
            "window must be from 1 millisecond to 1 year, got 0 ms"
        );
        assert!(limiter(1.0, 1, None).is_ok());
        assert!(limiter(1.0, MAX_WINDOW_MS, None).is_ok());
        assert!(message(1.0, MAX_WINDOW_MS + 1, None).starts_with("window must be"));
        for name in ["", "a:b", "a b", "{x}", &"n".repeat(65)] {
            assert!(message(1.0, W, Some(name)).starts_with("name must be"));
        }
        assert!(limiter(1.0, W, Some("login.v2_strict-1")).is_ok());
    }

    #[test]
    fn a_log_never_holds_more_than_the_limit() {
        let mut log = SlidingLog::default();
        for i in 0..1000 {
            log.consume(T + i, 10, W);
        }
        assert_eq!(log.len(), 10);
        assert_eq!(log.expires_at(W), Some(T + 9 + W));
        log.forget_before(T + 9 + W, W);
        assert!(log.is_empty());
    }
}

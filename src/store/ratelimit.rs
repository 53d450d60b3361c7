//! Rate-limit logs on either store (see `crate::ratelimit` for the algorithm).
//!
//! Memory: one map of sliding logs under its own lock, swept a bounded few per write from an
//! expiry heap. Redis: one list per key, `<prefix>rl:<scope>:<key>`, consumed by one script
//! (`lua/rate_consume.lua`) that reads the server's clock; a single key, so any cluster slot.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use redis::Script;

use super::redis::{answer_lost, classify, unexpected, Connection, RedisStore};
use super::{MemoryStore, Store};
use crate::error::Result;
use crate::random;
use crate::ratelimit::{Consume, LogState, SlidingLog};

static RATE_CONSUME: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/rate_consume.lua")));
static RATE_RESET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/rate_reset.lua")));

/// Logs past their expiry are removed, soonest first, at most this many per consume.
const SWEEP_PER_WRITE: usize = 8;

impl Store {
    /// A consume that completes here and now, on a store without I/O (`None` for Redis).
    pub fn rate_consume_in_process(&self, consume: &Consume<'_>) -> Option<LogState> {
        match self {
            Store::Memory(s) => Some(s.rate_limits.consume(consume)),
            Store::Redis(_) => None,
        }
    }

    pub async fn rate_consume(&self, consume: &Consume<'_>) -> Result<LogState> {
        match self {
            Store::Memory(s) => Ok(s.rate_limits.consume(consume)),
            Store::Redis(s) => s.rate_consume(consume).await,
        }
    }

    pub async fn rate_reset(&self, scope: &str, key: &str) -> Result<bool> {
        match self {
            Store::Memory(s) => Ok(s.rate_limits.reset(scope, key)),
            Store::Redis(s) => s.rate_reset(scope, key).await,
        }
    }
}

/// The memory store's rate-limit logs, a field of `MemoryStore`.
#[derive(Default)]
pub struct RateLimitTable {
    inner: Mutex<Logs>,
}

#[derive(Default)]
struct Logs {
    logs: HashMap<String, Entry>,
    /// (when a log may have expired, its generation, its key), soonest first: one entry per
    /// log, pushed back with the log's new expiry when it turns out to have had later hits.
    expiries: BinaryHeap<Reverse<(u64, u64, String)>>,
    generations: u64,
    /// Where `<scope>:<key>` is put together for a look-up, so a hit on a known key allocates nothing.
    scratch: String,
}

struct Entry {
    log: SlidingLog,
    /// The longest window of the limiters writing this log (only limiters sharing a name
    /// can differ): the log lives that long after its newest hit.
    window: u64,
    /// Tells this log's heap entry from one left by an earlier log of the same key (reset).
    generation: u64,
}

fn memory_key(scope: &str, key: &str) -> String {
    format!("{scope}:{key}")
}

impl RateLimitTable {
    fn lock(&self) -> MutexGuard<'_, Logs> {
        // Every operation leaves the maps consistent; a panic elsewhere cannot half-write them.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn consume(&self, c: &Consume<'_>) -> LogState {
        let mut guard = self.lock();
        let inner = &mut *guard;
        inner.sweep(c.now);
        inner.scratch.clear();
        inner.scratch.push_str(c.scope);
        inner.scratch.push(':');
        inner.scratch.push_str(c.key);
        if let Some(entry) = inner.logs.get_mut(inner.scratch.as_str()) {
            entry.window = entry.window.max(c.window);
            return entry.log.consume(c.now, c.limit, c.window);
        }
        let key = inner.scratch.clone();
        inner.generations += 1;
        let generation = inner.generations;
        let mut log = SlidingLog::default();
        let state = log.consume(c.now, c.limit, c.window);
        inner
            .expiries
            .push(Reverse((state.now + c.window, generation, key.clone())));
        inner.logs.insert(
            key,
            Entry {
                log,
                window: c.window,
                generation,
            },
        );
        state
    }

    pub fn reset(&self, scope: &str, key: &str) -> bool {
        self.lock().logs.remove(&memory_key(scope, key)).is_some()
    }

    /// Logs held (live or expired but not yet swept).
    pub fn len(&self) -> usize {
        self.lock().logs.len()
    }
}

impl Logs {
    fn sweep(&mut self, now: u64) {
        for _ in 0..SWEEP_PER_WRITE {
            match self.expiries.peek() {
                Some(Reverse((at, _, _))) if *at <= now => {}
                _ => break,
            }
            let Some(Reverse((_, generation, key))) = self.expiries.pop() else {
                break;
            };
            let Some(entry) = self.logs.get(&key) else {
                continue; // reset since
            };
            if entry.generation != generation {
                continue; // reset and begun anew: the new log has its own heap entry
            }
            match entry.log.expires_at(entry.window) {
                Some(at) if at > now => self.expiries.push(Reverse((at, generation, key))),
                _ => {
                    self.logs.remove(&key);
                }
            }
        }
    }
}

/// A random start for this process's call ids, drawn once.
static CALL_IDS: LazyLock<Result<u64>> = LazyLock::new(|| {
    let mut bytes = [0u8; 8];
    random::fill(&mut bytes).map(|()| u64::from_le_bytes(bytes))
});
static CALLS: AtomicU64 = AtomicU64::new(0);

/// An id the script can recognise if a call is sent twice: unique within this process (a
/// counter) and, from a random 64-bit start, unlikely to meet another process's among the
/// few hundred newest entries of one key; no system call per consume.
fn call_id() -> Result<String> {
    let start = CALL_IDS.as_ref().map_err(Clone::clone)?;
    let id = start.wrapping_add(CALLS.fetch_add(1, Ordering::Relaxed));
    Ok(URL_SAFE_NO_PAD.encode(id.to_le_bytes()))
}

impl RedisStore {
    fn rate_key(&self, scope: &str, key: &str) -> String {
        format!("{}rl:{scope}:{key}", self.key_prefix())
    }

    /// Like `run`, but the second send says it is one, so the script looks for the first
    /// send's entry before counting the hit (see `lua/rate_consume.lua`).
    pub async fn rate_consume(&self, c: &Consume<'_>) -> Result<LogState> {
        let key = self.rate_key(c.scope, c.key);
        let id = call_id()?;
        let reply: Vec<u64> = self
            .bounded(async {
                let mut resent = false;
                loop {
                    let mut call = RATE_CONSUME.prepare_invoke();
                    call.key(&key)
                        .arg(c.limit)
                        .arg(c.window)
                        .arg(&id)
                        .arg(if resent { "1" } else { "0" });
                    let reply = match self.connection().await? {
                        Connection::Single(mut conn) => call.invoke_async(&mut conn).await,
                        Connection::Cluster(mut conn) => call.invoke_async(&mut conn).await,
                    };
                    match reply {
                        Err(error) if !resent && answer_lost(&error) => resent = true,
                        reply => return reply.map_err(classify),
                    }
                }
            })
            .await?;
        match reply[..] {
            [allowed @ (0 | 1), count, oldest, newest, now] => Ok(LogState {
                allowed: allowed == 1,
                count: u32::try_from(count).map_err(|_| unexpected("rate limit consume"))?,
                oldest,
                newest,
                now,
            }),
            _ => Err(unexpected("rate limit consume")),
        }
    }

    pub async fn rate_reset(&self, scope: &str, key: &str) -> Result<bool> {
        let mut call = RATE_RESET.prepare_invoke();
        call.key(self.rate_key(scope, key));
        Ok(self.run::<i64>(call).await? == 1)
    }
}

impl MemoryStore {
    /// Rate-limit logs held (live, or expired but not yet swept).
    pub fn rate_limit_keys(&self) -> usize {
        self.rate_limits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 60_000;

    fn hit(table: &RateLimitTable, key: &str, now: u64) -> LogState {
        table.consume(&Consume {
            scope: "s",
            key,
            limit: 2,
            window: WINDOW,
            now,
        })
    }

    #[test]
    fn expired_logs_are_swept_by_later_consumes_a_few_at_a_time() {
        let table = RateLimitTable::default();
        for i in 0..100 {
            hit(&table, &format!("k{i}"), 1_000);
        }
        hit(&table, "late", 30_000);
        assert_eq!(table.len(), 101);
        let later = 1_000 + WINDOW;
        hit(&table, "late", later);
        assert_eq!(table.len(), 101 - SWEEP_PER_WRITE);
        while table.len() > 1 {
            hit(&table, "late", later);
        }
        assert!(table.lock().logs.contains_key("s:late"));
    }

    #[test]
    fn a_log_with_later_hits_is_kept_and_swept_after_its_newest() {
        let table = RateLimitTable::default();
        hit(&table, "a", 0);
        hit(&table, "a", 50_000);
        // Its first heap entry (0 + WINDOW) comes due: the log had a later hit, so it stays.
        hit(&table, "other", WINDOW);
        assert!(table.lock().logs.contains_key("s:a"));
        assert_eq!(table.lock().expiries.len(), 2);
        hit(&table, "other", 50_000 + WINDOW);
        assert!(!table.lock().logs.contains_key("s:a"));
    }

    #[test]
    fn a_reset_key_leaves_no_stale_heap_entry_behind() {
        let table = RateLimitTable::default();
        hit(&table, "a", 0);
        assert!(table.reset("s", "a"));
        assert!(!table.reset("s", "a"));
        hit(&table, "a", 10);
        // The first log's heap entry is due first; it must not remove the new log early.
        hit(&table, "b", WINDOW + 5);
        assert!(table.lock().logs.contains_key("s:a"));
        hit(&table, "b", WINDOW + 10);
        assert!(!table.lock().logs.contains_key("s:a"));
        assert_eq!(table.len(), 1);
    }
}

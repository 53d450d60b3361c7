//! Idempotency records on either store. A record is `{ fingerprint, lease, state }` plus the
//! stored response once done; `state` is pending, done or aborted (an aborted record counts
//! as absent; it stays only so that an abort sent twice answers the same).
//!
//! Redis key: `<prefix>idem:<sha-256 of the caller's key, hex>`, a hash with the fields
//! `fp`, `lease`, `state` (`p`, `d`, `a`) and `resp`. One key per script, so no hash tag is
//! needed for a cluster.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{LazyLock, Mutex, MutexGuard};

use redis::Script;

use super::redis::{unexpected, RedisStore};
use super::Store;
use crate::error::Result;

/// What `idempotency_begin` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginOutcome {
    /// The record is now pending under the caller's lease (or already was: a repeated call).
    Started,
    /// Done with the same fingerprint: the stored response blob.
    Done(Vec<u8>),
    /// The key was used with another fingerprint.
    Mismatch,
    /// Pending under another lease.
    InProgress,
}

impl Store {
    pub async fn idempotency_begin(
        &self,
        key: &str,
        fingerprint: &str,
        lease: &str,
        now: u64,
        lock_ttl: u64,
    ) -> Result<BeginOutcome> {
        match self {
            Store::Memory(s) => Ok(s.idempotency.begin(key, fingerprint, lease, now, lock_ttl)),
            Store::Redis(s) => s.idempotency_begin(key, fingerprint, lease, lock_ttl).await,
        }
    }

    pub async fn idempotency_complete(
        &self,
        key: &str,
        lease: &str,
        response: &[u8],
        now: u64,
        ttl: u64,
    ) -> Result<bool> {
        match self {
            Store::Memory(s) => Ok(s.idempotency.complete(key, lease, response, now, ttl)),
            Store::Redis(s) => s.idempotency_complete(key, lease, response, ttl).await,
        }
    }

    pub async fn idempotency_abort(&self, key: &str, lease: &str, now: u64) -> Result<bool> {
        match self {
            Store::Memory(s) => Ok(s.idempotency.abort(key, lease, now)),
            Store::Redis(s) => s.idempotency_abort(key, lease).await,
        }
    }
}

// --- memory ----------------------------------------------------------------------------------

/// Expired records removed per write at most (see memory.rs's `SWEEP_PER_WRITE`).
const SWEEP_PER_WRITE: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Pending,
    Done(Vec<u8>),
    Aborted,
}

struct Record {
    fingerprint: String,
    lease: String,
    state: State,
    expires_at: u64,
}

/// The memory store's idempotency records, under their own lock.
#[derive(Default)]
pub struct MemoryRecords {
    inner: Mutex<Records>,
}

#[derive(Default)]
struct Records {
    records: HashMap<String, Record>,
    /// `(expiry, key)` for every expiry a record was given. A record's expiry moves when it
    /// completes, so an entry may be stale: the sweep checks the record's own expiry.
    expiries: BinaryHeap<Reverse<(u64, String)>>,
}

impl Records {
    fn sweep(&mut self, now: u64) {
        for _ in 0..SWEEP_PER_WRITE {
            match self.expiries.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => break,
            }
            if let Some(Reverse((_, key))) = self.expiries.pop() {
                if self.records.get(&key).is_some_and(|r| r.expires_at <= now) {
                    self.records.remove(&key);
                }
            }
        }
    }

    /// The record under `key` unless it has expired (then it is dropped).
    fn live(&mut self, key: &str, now: u64) -> Option<&mut Record> {
        if self.records.get(key).is_some_and(|r| r.expires_at <= now) {
            self.records.remove(key);
        }
        self.records.get_mut(key)
    }

    /// The live record of `key` if `lease` still holds it, after a sweep: what `complete`
    /// and `abort` may act on.
    fn leased(&mut self, key: &str, lease: &str, now: u64) -> Option<&mut Record> {
        self.sweep(now);
        self.live(key, now).filter(|record| record.lease == lease)
    }

    fn expire_at(&mut self, key: &str, at: u64) {
        if let Some(record) = self.records.get_mut(key) {
            record.expires_at = at;
            self.expiries.push(Reverse((at, key.to_owned())));
        }
    }
}

impl MemoryRecords {
    fn lock(&self) -> MutexGuard<'_, Records> {
        // Every operation leaves the maps consistent before it can panic.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn begin(
        &self,
        key: &str,
        fingerprint: &str,
        lease: &str,
        now: u64,
        lock_ttl: u64,
    ) -> BeginOutcome {
        let mut records = self.lock();
        records.sweep(now);
        if let Some(record) = records.live(key, now) {
            if record.state != State::Aborted {
                if record.fingerprint != fingerprint {
                    return BeginOutcome::Mismatch;
                }
                return match &record.state {
                    State::Pending if record.lease == lease => BeginOutcome::Started,
                    State::Pending => BeginOutcome::InProgress,
                    State::Done(response) => BeginOutcome::Done(response.clone()),
                    State::Aborted => unreachable!("checked above"),
                };
            }
        }
        records.records.insert(
            key.to_owned(),
            Record {
                fingerprint: fingerprint.to_owned(),
                lease: lease.to_owned(),
                state: State::Pending,
                expires_at: 0,
            },
        );
        records.expire_at(key, now.saturating_add(lock_ttl));
        BeginOutcome::Started
    }

    fn complete(&self, key: &str, lease: &str, response: &[u8], now: u64, ttl: u64) -> bool {
        let mut records = self.lock();
        let Some(record) = records.leased(key, lease, now) else {
            return false;
        };
        match record.state {
            State::Pending => {}
            // This very call again.
            State::Done(_) => return true,
            State::Aborted => return false,
        }
        record.state = State::Done(response.to_vec());
        records.expire_at(key, now.saturating_add(ttl));
        true
    }

    fn abort(&self, key: &str, lease: &str, now: u64) -> bool {
        let mut records = self.lock();
        let Some(record) = records.leased(key, lease, now) else {
            return false;
        };
        match record.state {
            State::Pending => {
                record.state = State::Aborted;
                true
            }
            State::Aborted => true,
            State::Done(_) => false,
        }
    }

    /// Records held, expired ones not yet swept included.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().records.len()
    }
}

// --- Redis -----------------------------------------------------------------------------------

static BEGIN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/idem_begin.lua")));
static COMPLETE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/idem_complete.lua")));
static ABORT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/idem_abort.lua")));

impl RedisStore {
    fn idempotency_key(&self, key: &str) -> String {
        format!("{}idem:{key}", self.key_prefix())
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        fingerprint: &str,
        lease: &str,
        lock_ttl: u64,
    ) -> Result<BeginOutcome> {
        let mut call = BEGIN.prepare_invoke();
        call.key(self.idempotency_key(key))
            .arg(fingerprint)
            .arg(lease)
            .arg(lock_ttl);
        let reply: Vec<Vec<u8>> = self.run(call).await?;
        let mut parts = reply.into_iter();
        Ok(
            match (parts.next().as_deref(), parts.next(), parts.next()) {
                (Some(b"started"), None, None) => BeginOutcome::Started,
                (Some(b"done"), Some(response), None) => BeginOutcome::Done(response),
                (Some(b"mismatch"), None, None) => BeginOutcome::Mismatch,
                (Some(b"in_progress"), None, None) => BeginOutcome::InProgress,
                _ => return Err(unexpected("idempotency begin")),
            },
        )
    }

    async fn idempotency_complete(
        &self,
        key: &str,
        lease: &str,
        response: &[u8],
        ttl: u64,
    ) -> Result<bool> {
        let mut call = COMPLETE.prepare_invoke();
        call.key(self.idempotency_key(key))
            .arg(lease)
            .arg(response)
            .arg(ttl);
        Ok(self.run::<i64>(call).await? == 1)
    }

    async fn idempotency_abort(&self, key: &str, lease: &str) -> Result<bool> {
        let mut call = ABORT.prepare_invoke();
        call.key(self.idempotency_key(key)).arg(lease);
        Ok(self.run::<i64>(call).await? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k";
    const FP: &str = "fingerprint";

    fn done(records: &MemoryRecords, now: u64) -> BeginOutcome {
        records.begin(KEY, FP, "other", now, 1000)
    }

    #[test]
    fn begin_complete_replay() {
        let records = MemoryRecords::default();
        assert_eq!(records.begin(KEY, FP, "a", 0, 1000), BeginOutcome::Started);
        // The same call again (a retried delivery) is still the caller's own start.
        assert_eq!(records.begin(KEY, FP, "a", 1, 1000), BeginOutcome::Started);
        assert_eq!(done(&records, 2), BeginOutcome::InProgress);
        assert_eq!(
            records.begin(KEY, "other fp", "b", 3, 1000),
            BeginOutcome::Mismatch
        );
        assert!(!records.complete(KEY, "b", b"x", 4, 5000));
        assert!(records.complete(KEY, "a", b"response", 5, 5000));
        assert!(records.complete(KEY, "a", b"ignored", 6, 5000));
        assert_eq!(done(&records, 7), BeginOutcome::Done(b"response".to_vec()));
        assert_eq!(
            records.begin(KEY, "other fp", "c", 8, 1000),
            BeginOutcome::Mismatch
        );
        assert!(!records.abort(KEY, "a", 9), "a done record is not aborted");
        // Stored for ttl from completion, then gone.
        assert_eq!(
            done(&records, 5004),
            BeginOutcome::Done(b"response".to_vec())
        );
        assert_eq!(
            records.begin(KEY, "new fp", "d", 5005, 1000),
            BeginOutcome::Started
        );
    }

    #[test]
    fn abort_lets_the_next_request_run() {
        let records = MemoryRecords::default();
        assert_eq!(records.begin(KEY, FP, "a", 0, 1000), BeginOutcome::Started);
        assert!(!records.abort(KEY, "b", 1));
        assert!(records.abort(KEY, "a", 2));
        assert!(records.abort(KEY, "a", 3), "the same abort again");
        assert!(!records.complete(KEY, "a", b"late", 4, 1000));
        // Even another payload may now use the key.
        assert_eq!(
            records.begin(KEY, "other fp", "b", 5, 1000),
            BeginOutcome::Started
        );
        assert!(!records.abort(KEY, "a", 6));
        assert!(records.complete(KEY, "b", b"r", 7, 1000));
    }

    #[test]
    fn a_lease_is_lost_when_the_lock_expires() {
        let records = MemoryRecords::default();
        assert_eq!(records.begin(KEY, FP, "a", 0, 100), BeginOutcome::Started);
        assert_eq!(done(&records, 99), BeginOutcome::InProgress);
        assert_eq!(records.begin(KEY, FP, "b", 100, 100), BeginOutcome::Started);
        assert!(!records.complete(KEY, "a", b"late", 101, 1000));
        assert!(!records.abort(KEY, "a", 102));
        assert!(records.complete(KEY, "b", b"r", 103, 1000));
    }

    #[test]
    fn expired_records_are_swept_a_bounded_batch_per_write() {
        let records = MemoryRecords::default();
        for i in 0..50 {
            records.begin(&format!("k{i}"), FP, "a", 0, 10);
        }
        records.begin("long", FP, "a", 0, 10_000);
        // Completing moved this record's expiry: its first heap entry is stale.
        assert!(records.complete("long", "a", b"r", 1, 10_000));
        assert_eq!(records.len(), 51);
        records.begin("x", FP, "a", 20, 10_000);
        assert_eq!(records.len(), 52 - SWEEP_PER_WRITE);
        while records.len() > 2 {
            records.begin("x", FP, "a", 20, 10_000);
        }
        assert_eq!(
            records.begin("long", FP, "b", 20, 10),
            BeginOutcome::Done(b"r".to_vec())
        );
    }
}

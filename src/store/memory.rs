//! The embedded store: one process, no server. Every operation is a short critical section
//! under one lock, which is what makes each of them atomic.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use super::{FamilyKey, NewFamily, RevokeOutcome, RotateOutcome, Rotation, SessionRecord};
use crate::error::Result;

/// Expired records are removed, oldest first, at most this many per write (and skipped on
/// every read). A bound rather than a periodic full scan: with a million sessions a scan
/// would stall whichever call triggered it, while each write adds at most one record, so
/// removing up to this many keeps pace with any write rate.
const SWEEP_PER_WRITE: usize = 8;

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    pub(super) idempotency: super::idempotency::MemoryRecords,
    pub(super) rate_limits: super::ratelimit::RateLimitTable,
}

#[derive(Default)]
struct Inner {
    families: HashMap<String, Family>,
    users: HashMap<String, HashSet<String>>,
    /// Every record's absolute expiry, soonest first (it never changes after `create_family`).
    expiries: BinaryHeap<Reverse<(u64, String)>>,
}

struct Family {
    user_id: String,
    current: String,
    previous: Option<String>,
    rotated_at: u64,
    sealed_next: Option<String>,
    spent: HashSet<String>,
    created_at: u64,
    last_used_at: u64,
    expires_at: u64,
    token_expires_at: u64,
    user_agent: Option<String>,
    ip: Option<String>,
    revoked: bool,
}

impl Family {
    fn is_live(&self, now: u64) -> bool {
        !self.revoked && now < self.expires_at && now < self.token_expires_at
    }

    fn holds(&self, hash: &str) -> bool {
        self.current == hash || self.spent.contains(hash)
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The lock guards plain maps that every operation leaves consistent, so a panic
        // elsewhere while it was held cannot have left it half-written.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn create_family(&self, new: &NewFamily<'_>) -> Result<()> {
        let mut inner = self.lock();
        inner.wrote(new.now);
        inner.families.insert(
            new.key.family_id.to_owned(),
            Family {
                user_id: new.user_id.to_owned(),
                current: new.token_hash.to_owned(),
                previous: None,
                rotated_at: 0,
                sealed_next: None,
                spent: HashSet::new(),
                created_at: new.now,
                last_used_at: new.now,
                expires_at: new.expires_at,
                token_expires_at: new.token_expires_at,
                user_agent: new.user_agent.map(str::to_owned),
                ip: new.ip.map(str::to_owned),
                revoked: false,
            },
        );
        inner
            .users
            .entry(new.user_id.to_owned())
            .or_default()
            .insert(new.key.family_id.to_owned());
        inner
            .expiries
            .push(Reverse((new.expires_at, new.key.family_id.to_owned())));
        Ok(())
    }

    pub fn rotate(&self, r: &Rotation<'_>) -> Result<RotateOutcome> {
        let mut inner = self.lock();
        inner.wrote(r.now);
        let Some(family) = inner.live_record(r.key.family_id, r.now) else {
            return Ok(RotateOutcome::Unknown);
        };
        if family.revoked {
            return Ok(if family.holds(r.presented_hash) {
                RotateOutcome::Revoked
            } else {
                RotateOutcome::Unknown
            });
        }
        if family.current == r.presented_hash {
            let spent = std::mem::replace(&mut family.current, r.next_hash.to_owned());
            family.spent.insert(spent.clone());
            family.previous = Some(spent);
            family.rotated_at = r.now;
            family.sealed_next = r.sealed_next.map(str::to_owned);
            family.last_used_at = r.now;
            family.token_expires_at = r.next_expires_at;
            if let Some(ua) = r.user_agent {
                family.user_agent = Some(ua.to_owned());
            }
            if let Some(ip) = r.ip {
                family.ip = Some(ip.to_owned());
            }
            return Ok(RotateOutcome::Rotated {
                user_id: family.user_id.clone(),
                expires_at: family.expires_at,
            });
        }
        if family.previous.as_deref() == Some(r.presented_hash) {
            if family.current == r.next_hash {
                // The same request again (a retried delivery): same answer, nothing new.
                return Ok(RotateOutcome::Rotated {
                    user_id: family.user_id.clone(),
                    expires_at: family.expires_at,
                });
            }
            if r.grace > 0 && r.now.saturating_sub(family.rotated_at) <= r.grace {
                if let Some(sealed_next) = family.sealed_next.take() {
                    return Ok(RotateOutcome::Replayed {
                        user_id: family.user_id.clone(),
                        sealed_next,
                    });
                }
            }
        }
        if family.spent.contains(r.presented_hash) {
            family.revoked = true;
            return Ok(RotateOutcome::Reused);
        }
        Ok(RotateOutcome::Unknown)
    }

    pub fn revoke_token(&self, key: FamilyKey<'_>, hash: &str, now: u64) -> Result<RevokeOutcome> {
        let mut inner = self.lock();
        inner.wrote(now);
        let Some(family) = inner.live_record(key.family_id, now) else {
            return Ok(RevokeOutcome::Unknown);
        };
        if !family.holds(hash) {
            return Ok(RevokeOutcome::Unknown);
        }
        if !family.is_live(now) {
            return Ok(RevokeOutcome::AlreadyEnded);
        }
        family.revoked = true;
        Ok(RevokeOutcome::Revoked)
    }

    pub fn revoke_family(&self, key: FamilyKey<'_>, now: u64) -> Result<bool> {
        let mut inner = self.lock();
        inner.wrote(now);
        Ok(match inner.live_record(key.family_id, now) {
            Some(family) if family.is_live(now) => {
                family.revoked = true;
                true
            }
            _ => false,
        })
    }

    pub fn revoke_user(&self, _tag: &str, user_id: &str, now: u64) -> Result<u32> {
        let mut inner = self.lock();
        inner.wrote(now);
        let Some(ids) = inner.users.remove(user_id) else {
            return Ok(0);
        };
        let mut revoked = 0;
        for id in ids {
            if let Some(family) = inner.families.get_mut(&id) {
                if family.is_live(now) {
                    family.revoked = true;
                    revoked += 1;
                }
            }
        }
        Ok(revoked)
    }

    pub fn list_sessions(&self, _tag: &str, user_id: &str, now: u64) -> Result<Vec<SessionRecord>> {
        let mut inner = self.lock();
        let Inner {
            families, users, ..
        } = &mut *inner;
        let Some(ids) = users.get_mut(user_id) else {
            return Ok(Vec::new());
        };
        // Ended sessions leave the index as they are seen; their records stay until they
        // expire, so a late token still gets "revoked" rather than "invalid".
        ids.retain(|id| families.get(id).is_some_and(|f| f.is_live(now)));
        let sessions = ids
            .iter()
            .filter_map(|id| families.get(id).map(|f| (id, f)))
            .map(|(id, f)| SessionRecord {
                family_id: id.clone(),
                user_id: f.user_id.clone(),
                created_at: f.created_at,
                last_used_at: f.last_used_at,
                expires_at: f.expires_at,
                token_expires_at: f.token_expires_at,
                user_agent: f.user_agent.clone(),
                ip: f.ip.clone(),
            })
            .collect();
        if ids.is_empty() {
            users.remove(user_id);
        }
        Ok(sessions)
    }

    /// How many session records (live, revoked or not yet swept) the store holds.
    pub fn len(&self) -> usize {
        self.lock().families.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    /// The record of `id` unless it has passed its absolute expiry (then it is dropped).
    fn live_record(&mut self, id: &str, now: u64) -> Option<&mut Family> {
        if self.families.get(id).is_some_and(|f| now >= f.expires_at) {
            self.drop_record(id);
        }
        self.families.get_mut(id)
    }

    fn drop_record(&mut self, id: &str) {
        let Some(family) = self.families.remove(id) else {
            return;
        };
        if let Some(ids) = self.users.get_mut(&family.user_id) {
            ids.remove(id);
            if ids.is_empty() {
                self.users.remove(&family.user_id);
            }
        }
    }

    fn wrote(&mut self, now: u64) {
        for _ in 0..SWEEP_PER_WRITE {
            match self.expiries.peek() {
                Some(Reverse((expires_at, _))) if *expires_at <= now => {}
                _ => break,
            }
            if let Some(Reverse((_, id))) = self.expiries.pop() {
                // Already gone when a read found it expired first.
                self.drop_record(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    fn create(store: &MemoryStore, user_id: &str, family_id: &str, now: u64, expires_at: u64) {
        store
            .create_family(&NewFamily {
                key: FamilyKey {
                    tag: "t",
                    family_id,
                },
                user_id,
                token_hash: family_id,
                now,
                expires_at,
                token_expires_at: expires_at,
                user_agent: None,
                ip: None,
            })
            .unwrap();
    }

    /// A write that changes nothing (revoking an unknown family) but lets the sweep run.
    fn write_at(store: &MemoryStore, now: u64) {
        let nothing = FamilyKey {
            tag: "t",
            family_id: "none",
        };
        assert!(!store.revoke_family(nothing, now).unwrap());
    }

    #[test]
    fn expired_records_and_their_index_entries_are_swept_by_later_writes() {
        let store = MemoryStore::new();
        for i in 0..100 {
            create(
                &store,
                &format!("u{}", i % 10),
                &format!("short{i}"),
                0,
                HOUR,
            );
        }
        create(&store, "keeper", "long", 0, 100 * HOUR);
        assert_eq!(store.len(), 101);

        // Each write after the expiry removes a bounded batch, soonest first.
        let later = 2 * HOUR;
        write_at(&store, later);
        assert_eq!(store.len(), 101 - SWEEP_PER_WRITE);
        while store.len() > 1 {
            write_at(&store, later);
        }
        let inner = store.lock();
        assert!(inner.families.contains_key("long"));
        assert_eq!(inner.users.keys().collect::<Vec<_>>(), ["keeper"]);
        assert_eq!(inner.expiries.len(), 1);
    }

    #[test]
    fn a_record_dropped_on_read_leaves_no_index_entry() {
        let store = MemoryStore::new();
        create(&store, "u", "f", 0, HOUR);
        let outcome = store
            .revoke_token(
                FamilyKey {
                    tag: "t",
                    family_id: "f",
                },
                "f",
                HOUR,
            )
            .unwrap();
        assert_eq!(outcome, RevokeOutcome::Unknown);
        let inner = store.lock();
        assert!(inner.families.is_empty() && inner.users.is_empty());
    }

    #[test]
    fn nothing_live_is_swept() {
        let store = MemoryStore::new();
        for i in 0..50 {
            create(&store, "u", &format!("f{i}"), 0, HOUR + i);
        }
        for _ in 0..50 {
            write_at(&store, HOUR - 1);
        }
        assert_eq!(store.len(), 50);
        assert_eq!(store.list_sessions("t", "u", HOUR - 1).unwrap().len(), 50);
    }
}

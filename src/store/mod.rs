//! Where the stateful parts live: in this process (`MemoryStore`) or in Redis (`RedisStore`).
//!
//! Each operation is one atomic step on either store: a critical section on the memory
//! store, one Lua script (one round trip) on Redis. Both implement the same rules; the
//! shared test suite holds them to it.

mod idempotency;
mod memory;
mod ratelimit;
mod redis;

use std::sync::Arc;

pub use self::idempotency::BeginOutcome;
pub use self::memory::MemoryStore;
pub use self::redis::{RedisConfig, RedisStore};
use crate::error::Result;

/// A store handle, cheap to clone and share between managers.
#[derive(Clone)]
pub enum Store {
    Memory(Arc<MemoryStore>),
    Redis(Arc<RedisStore>),
}

/// Where one refresh-token family lives: its user's tag (hex) and its id.
#[derive(Debug, Clone, Copy)]
pub struct FamilyKey<'a> {
    pub tag: &'a str,
    pub family_id: &'a str,
}

/// A new session, written by `issue`.
#[derive(Debug, Clone)]
pub struct NewFamily<'a> {
    pub key: FamilyKey<'a>,
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub now: u64,
    /// The session's absolute end (ms); the record is dropped then.
    pub expires_at: u64,
    /// The token's own end (ms), earlier than `expires_at` with an idle timeout.
    pub token_expires_at: u64,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

/// A rotation request: replace `presented_hash` by `next_hash` if it is the live token.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    pub key: FamilyKey<'a>,
    pub presented_hash: &'a str,
    pub next_hash: &'a str,
    pub now: u64,
    pub next_expires_at: u64,
    /// How long (ms) the previous token may still fetch its successor, once; 0 disables it.
    pub grace: u64,
    /// The successor sealed under the presented token, kept for that retry.
    pub sealed_next: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated {
        user_id: String,
        expires_at: u64,
    },
    /// A retry of the previous token within the grace period: its sealed successor.
    Replayed {
        user_id: String,
        sealed_next: String,
    },
    /// A spent token came back: the family is now revoked.
    Reused,
    Revoked,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The session was live and is now revoked.
    Revoked,
    /// The token belongs to the session, which had already ended.
    AlreadyEnded,
    /// No session has this token.
    Unknown,
}

/// One live session, as `list_sessions` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub family_id: String,
    pub user_id: String,
    pub created_at: u64,
    pub last_used_at: u64,
    pub expires_at: u64,
    pub token_expires_at: u64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl Store {
    /// True for the memory store: its operations are short critical sections with nothing to
    /// wait for, so their futures are ready at the first poll.
    pub fn is_in_process(&self) -> bool {
        matches!(self, Store::Memory(_))
    }

    pub async fn create_family(&self, family: &NewFamily<'_>) -> Result<()> {
        match self {
            Store::Memory(s) => s.create_family(family),
            Store::Redis(s) => s.create_family(family).await,
        }
    }

    pub async fn rotate(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome> {
        match self {
            Store::Memory(s) => s.rotate(rotation),
            Store::Redis(s) => s.rotate(rotation).await,
        }
    }

    pub async fn revoke_token(
        &self,
        key: FamilyKey<'_>,
        token_hash: &str,
        now: u64,
    ) -> Result<RevokeOutcome> {
        match self {
            Store::Memory(s) => s.revoke_token(key, token_hash, now),
            Store::Redis(s) => s.revoke_token(key, token_hash, now).await,
        }
    }

    pub async fn revoke_family(&self, key: FamilyKey<'_>, now: u64) -> Result<bool> {
        match self {
            Store::Memory(s) => s.revoke_family(key, now),
            Store::Redis(s) => s.revoke_family(key, now).await,
        }
    }

    pub async fn revoke_user(&self, tag: &str, user_id: &str, now: u64) -> Result<u32> {
        match self {
            Store::Memory(s) => s.revoke_user(tag, user_id, now),
            Store::Redis(s) => s.revoke_user(tag, user_id, now).await,
        }
    }

    pub async fn list_sessions(
        &self,
        tag: &str,
        user_id: &str,
        now: u64,
    ) -> Result<Vec<SessionRecord>> {
        let mut sessions = match self {
            Store::Memory(s) => s.list_sessions(tag, user_id, now)?,
            Store::Redis(s) => s.list_sessions(tag, user_id, now).await?,
        };
        sessions.sort_by(|a, b| {
            b.last_used_at
                .cmp(&a.last_used_at)
                .then_with(|| a.family_id.cmp(&b.family_id))
        });
        Ok(sessions)
    }
}

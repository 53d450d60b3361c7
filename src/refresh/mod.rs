//! Refresh tokens: opaque, rotated on every use, with reuse detection (RFC 9700 §4.14.2).
//!
//! A session is a *family* of tokens. Each `rotate` replaces the family's live token with a
//! new one; a spent token that comes back means two parties hold the session, so the whole
//! family is revoked and the caller gets `ERR_REFRESH_REUSED`. Only token hashes are stored.

pub mod token;

use std::time::{SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use self::token::{FamilyId, TokenHasher};
use crate::error::{Error, Result};
use crate::store::{FamilyKey, NewFamily, RevokeOutcome, RotateOutcome, Rotation, Store};

pub use self::token::TOKEN_LENGTH;
pub use crate::store::SessionRecord;

/// The longest user id accepted, in bytes.
pub const MAX_USER_ID_BYTES: usize = 256;
/// Longer user agents and addresses are cut to this many bytes (they come from headers).
pub const MAX_CONTEXT_BYTES: usize = 512;
/// Tokens carry their expiry in seconds as a u32, hence the ceiling on lifetimes.
const MAX_TTL_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// A session's absolute lifetime, from `issue` (ms).
    pub ttl: u64,
    /// A token unused for this long expires (ms); `None`: only `ttl` applies.
    pub idle_ttl: Option<u64>,
    /// How long after a rotation the previous token may fetch the same successor, once (ms).
    pub reuse_grace: u64,
    /// Server-side key for hashing tokens (HMAC-SHA-256 instead of SHA-256).
    pub secret: Option<Zeroizing<Vec<u8>>>,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            ttl: 7 * 24 * 3600 * 1000,
            idle_ttl: None,
            reuse_grace: 0,
            secret: None,
        }
    }
}

/// Request details recorded with a session (shown by `list_sessions`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub token: Zeroizing<String>,
    pub family_id: String,
    /// When this token expires (ms since the epoch).
    pub expires_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub token: Zeroizing<String>,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: u64,
}

pub struct Manager {
    store: Store,
    config: ManagerConfig,
    hasher: TokenHasher,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn check_user_id(user_id: &str) -> Result<()> {
    if user_id.is_empty() || user_id.len() > MAX_USER_ID_BYTES {
        return Err(Error::invalid_option(format!(
            "userId must be 1 to {MAX_USER_ID_BYTES} bytes long"
        )));
    }
    Ok(())
}

/// Cuts a header value to the limit at a character boundary; empty means absent.
fn context_value(value: &Option<String>) -> Option<&str> {
    let text = value.as_deref()?;
    let mut end = text.len().min(MAX_CONTEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(&text[..end]).filter(|t| !t.is_empty())
}

impl Manager {
    pub fn new(store: Store, config: ManagerConfig) -> Result<Self> {
        if config.ttl < 1000 || config.ttl > MAX_TTL_MS {
            return Err(Error::invalid_option(
                "ttl must be from 1 second to 10 years",
            ));
        }
        if let Some(idle) = config.idle_ttl {
            if idle < 1000 || idle > config.ttl {
                return Err(Error::invalid_option(
                    "idleTtl must be at least 1 second and at most ttl",
                ));
            }
        }
        if config.reuse_grace > config.idle_ttl.unwrap_or(config.ttl) {
            return Err(Error::invalid_option(
                "reuseGrace must not be longer than a token lives",
            ));
        }
        if config.secret.as_ref().is_some_and(|s| s.is_empty()) {
            return Err(Error::invalid_option("secret must not be empty"));
        }
        let hasher = TokenHasher::new(config.secret.as_deref().map(Vec::as_slice));
        Ok(Manager {
            store,
            config,
            hasher,
        })
    }

    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// Whether every operation completes without waiting on I/O (see `Store::is_in_process`).
    pub fn is_in_process(&self) -> bool {
        self.store.is_in_process()
    }

    /// The stored form of a token; also for apps that keep sessions in their own database.
    pub fn hash(&self, token: &str) -> String {
        self.hasher.hash(token)
    }

    fn token_expiry(&self, now: u64, family_expires_at: u64) -> u64 {
        match self.config.idle_ttl {
            Some(idle) => (now + idle).min(family_expires_at),
            None => family_expires_at,
        }
    }

    pub async fn issue(&self, user_id: &str, context: &Context) -> Result<Issued> {
        check_user_id(user_id)?;
        let now = now_ms();
        let tag = self.hasher.user_tag(user_id);
        let family = FamilyId::new(tag)?;
        // Rounded down to the second the token states, so the token never claims to live
        // longer than its record.
        let expires_at = (now + self.config.ttl) / 1000 * 1000;
        let token_expires_at = self.token_expiry(now, expires_at) / 1000 * 1000;
        let token = token::create(&family, expires_at, token_expires_at)?;
        let family_id = family.encode();
        let tag = tag.hex();
        self.store
            .create_family(&NewFamily {
                key: FamilyKey {
                    tag: &tag,
                    family_id: &family_id,
                },
                user_id,
                token_hash: &self.hasher.hash(&token),
                now,
                expires_at,
                token_expires_at,
                user_agent: context_value(&context.user_agent),
                ip: context_value(&context.ip),
            })
            .await?;
        Ok(Issued {
            token,
            family_id,
            expires_at: token_expires_at,
        })
    }

    pub async fn rotate(&self, presented: &str, context: &Context) -> Result<Rotated> {
        let parts = token::parse(presented)?;
        let now = now_ms();
        if now >= parts.expires_at {
            return Err(Error::RefreshExpired);
        }
        let tag = parts.family.tag().hex();
        let family_id = parts.family.encode();
        let next_expires_at = self.token_expiry(now, parts.family_expires_at) / 1000 * 1000;
        let next = token::create(&parts.family, parts.family_expires_at, next_expires_at)?;
        let sealed = if self.config.reuse_grace > 0 {
            Some(token::seal_successor(presented, &next)?)
        } else {
            None
        };
        let outcome = self
            .store
            .rotate(&Rotation {
                key: FamilyKey {
                    tag: &tag,
                    family_id: &family_id,
                },
                presented_hash: &self.hasher.hash(presented),
                next_hash: &self.hasher.hash(&next),
                now,
                next_expires_at,
                grace: self.config.reuse_grace,
                sealed_next: sealed.as_deref(),
                user_agent: context_value(&context.user_agent),
                ip: context_value(&context.ip),
            })
            .await?;
        match outcome {
            RotateOutcome::Rotated { user_id, .. } => Ok(Rotated {
                token: next,
                user_id,
                family_id,
                expires_at: next_expires_at,
            }),
            RotateOutcome::Replayed {
                user_id,
                sealed_next,
            } => {
                let token = token::open_successor(presented, &sealed_next)?;
                let expires_at = token::parse(&token)?.expires_at;
                Ok(Rotated {
                    token,
                    user_id,
                    family_id,
                    expires_at,
                })
            }
            RotateOutcome::Reused => Err(Error::RefreshReused),
            RotateOutcome::Revoked => Err(Error::RefreshRevoked),
            RotateOutcome::Unknown => Err(Error::refresh_invalid("no session has this token")),
        }
    }

    /// Ends the session `token` belongs to. `Ok(false)` when it had already ended or no
    /// session has this token; a malformed token is an error.
    pub async fn revoke(&self, presented: &str) -> Result<bool> {
        let parts = token::parse(presented)?;
        let tag = parts.family.tag().hex();
        let family_id = parts.family.encode();
        let outcome = self
            .store
            .revoke_token(
                FamilyKey {
                    tag: &tag,
                    family_id: &family_id,
                },
                &self.hasher.hash(presented),
                now_ms(),
            )
            .await?;
        Ok(outcome == RevokeOutcome::Revoked)
    }

    pub async fn revoke_family(&self, family_id: &str) -> Result<bool> {
        let family = FamilyId::parse(family_id)
            .ok_or_else(|| Error::invalid_option("familyId is not a session id"))?;
        let tag = family.tag().hex();
        self.store
            .revoke_family(
                FamilyKey {
                    tag: &tag,
                    family_id,
                },
                now_ms(),
            )
            .await
    }

    pub async fn revoke_all_for_user(&self, user_id: &str) -> Result<u32> {
        check_user_id(user_id)?;
        let tag = self.hasher.user_tag(user_id).hex();
        self.store.revoke_user(&tag, user_id, now_ms()).await
    }

    pub async fn list_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        check_user_id(user_id)?;
        let tag = self.hasher.user_tag(user_id).hex();
        self.store.list_sessions(&tag, user_id, now_ms()).await
    }
}

/// A token for an app that keeps sessions in its own database: the token for the client,
/// its hash for the database, and its expiry (ms), which the token also states.
pub fn create_standalone(
    ttl: u64,
    secret: Option<&[u8]>,
) -> Result<(Zeroizing<String>, String, u64)> {
    if !(1000..=MAX_TTL_MS).contains(&ttl) {
        return Err(Error::invalid_option(
            "ttl must be from 1 second to 10 years",
        ));
    }
    let expires_at = (now_ms() + ttl) / 1000 * 1000;
    let family = FamilyId::new(token::UserTag::random()?)?;
    let token = token::create(&family, expires_at, expires_at)?;
    let hash = hash_standalone(&token, secret)?;
    Ok((token, hash, expires_at))
}

/// The hash to look a presented token up by; garbage is refused before any look-up.
pub fn hash_standalone(presented: &str, secret: Option<&[u8]>) -> Result<String> {
    token::parse(presented)?;
    if secret.is_some_and(<[u8]>::is_empty) {
        return Err(Error::invalid_option("secret must not be empty"));
    }
    Ok(TokenHasher::new(secret).hash(presented))
}

#[cfg(test)]
mod tests;

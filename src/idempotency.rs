//! Request idempotency (`Idempotency-Key`): a request's fingerprint, and the record that lets
//! the first request with a key run while every retry replays its stored response.
//!
//! A record moves `absent → pending (lease) → done (response)`, or back to absent through
//! `abort`. Each step is one atomic store operation; the lease, random per `begin`, is what
//! lets only the request that started a record finish or abandon it.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{self, SHA256};

use crate::error::{Error, Result};
use crate::random;
use crate::store::{BeginOutcome, Store};

/// The longest idempotency key accepted, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Bytes of randomness in a lease (its text is base64url).
const LEASE_BYTES: usize = 18;
/// Lifetimes above this are refused as a configuration mistake.
const MAX_TTL_MS: u64 = 365 * 24 * 3600 * 1000;
/// Names the fingerprint format, so that a later format cannot produce the same digests.
const FINGERPRINT_DOMAIN: &[u8] = b"ferroauth.request-fingerprint.v1";

/// A request body as the fingerprint sees it.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    None,
    /// Raw bytes: a string or a Buffer, hashed as they are.
    Bytes(&'a [u8]),
    /// JSON text of a parsed body, hashed in canonical form (key order does not matter).
    Json(&'a str),
}

/// SHA-256, lowercase hex, over the method (upper-cased), the path and the body, each part
/// length-prefixed and the body tagged with its kind, so no two different requests share
/// the encoding that is hashed.
pub fn fingerprint(method: &str, path: &str, body: Body<'_>) -> String {
    let mut context = digest::Context::new(&SHA256);
    let mut part = |bytes: &[u8]| {
        context.update(&(bytes.len() as u64).to_be_bytes());
        context.update(bytes);
    };
    part(FINGERPRINT_DOMAIN);
    part(method.to_ascii_uppercase().as_bytes());
    part(path.as_bytes());
    match body {
        Body::None => part(b"none"),
        Body::Bytes(bytes) => {
            part(b"bytes");
            part(bytes);
        }
        Body::Json(text) => {
            let mut form = Vec::with_capacity(text.len());
            if canonical::canonicalize(text, &mut form).is_some() {
                part(b"json");
                part(&form);
            } else {
                // Text that is not one JSON value, nests deeper than canonical::MAX_DEPTH or
                // holds a lone surrogate: still one fingerprint per text, under its own tag,
                // only not key-order free.
                part(b"json-text");
                part(text.as_bytes());
            }
        }
    }
    hex(context.finish().as_ref())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[(byte >> 4) as usize] as char);
        text.push(DIGITS[(byte & 15) as usize] as char);
    }
    text
}

/// A response as it is stored and replayed. Header pairs keep their order; a name may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl StoredResponse {
    /// One blob for the store: status, header count, each name and value length-prefixed,
    /// then the body.
    pub fn encode(&self) -> Vec<u8> {
        let size = 6
            + self
                .headers
                .iter()
                .map(|(n, v)| 8 + n.len() + v.len())
                .sum::<usize>()
            + self.body.len();
        let mut blob = Vec::with_capacity(size);
        Self::encode_parts(
            self.status,
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &self.body,
            &mut blob,
        );
        blob
    }

    /// `encode` from borrowed parts (what the bindings hold).
    pub fn encode_parts<'a>(
        status: u16,
        headers: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
        blob: &mut Vec<u8>,
    ) {
        blob.extend_from_slice(&status.to_be_bytes());
        blob.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        for (name, value) in headers {
            for text in [name, value] {
                blob.extend_from_slice(&(text.len() as u32).to_be_bytes());
                blob.extend_from_slice(text.as_bytes());
            }
        }
        blob.extend_from_slice(body);
    }

    pub fn decode(blob: &[u8]) -> Result<Self> {
        let corrupt = || Error::StoreFailed("a stored idempotent response is corrupt".into());
        let mut rest = blob;
        let mut take = |n: usize| -> Result<&[u8]> {
            if rest.len() < n {
                return Err(corrupt());
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let status = u16::from_be_bytes(take(2)?.try_into().map_err(|_| corrupt())?);
        let count = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?) as usize;
        let mut headers = Vec::with_capacity(count.min(256));
        for _ in 0..count {
            let mut text = || -> Result<String> {
                let len = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?);
                let bytes = take(len as usize)?;
                String::from_utf8(bytes.to_vec()).map_err(|_| corrupt())
            };
            let name = text()?;
            let value = text()?;
            headers.push((name, value));
        }
        Ok(StoredResponse {
            status,
            headers,
            body: rest.to_vec(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct IdempotencyConfig {
    /// How long a completed response is replayed (ms).
    pub ttl: u64,
    /// How long a started request holds its key before another may run (ms).
    pub lock_ttl: u64,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        IdempotencyConfig {
            ttl: 10 * 60 * 1000,
            lock_ttl: 10 * 60 * 1000,
        }
    }
}

/// What `begin` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The caller runs the request, then completes or aborts with this lease.
    Started { lease: String },
    /// Done before with the same fingerprint: send this.
    Replay(StoredResponse),
}

pub struct Idempotency {
    store: Store,
    config: IdempotencyConfig,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The store key for a caller's key: its SHA-256 in hex, so any text is safe in a key and
/// the stored key reveals nothing of it.
pub fn record_key(key: &str) -> Result<String> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Error::IdempotencyKeyInvalid(MAX_KEY_BYTES));
    }
    Ok(hex(digest::digest(&SHA256, key.as_bytes()).as_ref()))
}

impl Idempotency {
    pub fn new(store: Store, config: IdempotencyConfig) -> Result<Self> {
        for (name, value) in [("ttl", config.ttl), ("lockTtl", config.lock_ttl)] {
            if value == 0 || value > MAX_TTL_MS {
                return Err(Error::invalid_option(format!(
                    "{name} must be from 1 millisecond to 365 days"
                )));
            }
        }
        Ok(Idempotency { store, config })
    }

    pub fn config(&self) -> &IdempotencyConfig {
        &self.config
    }

    /// Whether every operation completes without waiting on I/O (see `Store::is_in_process`).
    pub fn is_in_process(&self) -> bool {
        self.store.is_in_process()
    }

    pub async fn begin(&self, key: &str, fingerprint: &str) -> Result<Begun> {
        self.begin_at(key, fingerprint, now_ms()).await
    }

    /// `begin` at a given time (ms). The lease is drawn before the store is asked, so a
    /// store call sent twice (a lost answer) carries the same lease and finds its own record.
    pub async fn begin_at(&self, key: &str, fingerprint: &str, now: u64) -> Result<Begun> {
        let record = record_key(key)?;
        let lease = random::token(LEASE_BYTES)?;
        let outcome = self
            .store
            .idempotency_begin(&record, fingerprint, &lease, now, self.config.lock_ttl)
            .await?;
        match outcome {
            BeginOutcome::Started => Ok(Begun::Started { lease }),
            BeginOutcome::Done(blob) => Ok(Begun::Replay(StoredResponse::decode(&blob)?)),
            BeginOutcome::Mismatch => Err(Error::IdempotencyMismatch),
            BeginOutcome::InProgress => Err(Error::IdempotencyInProgress),
        }
    }

    /// Stores the response (an `encode`d blob) for `ttl` if `lease` still holds the key;
    /// `false` when it does not (the lock expired and another request took the key).
    pub async fn complete(&self, key: &str, lease: &str, response: &[u8]) -> Result<bool> {
        self.complete_at(key, lease, response, now_ms()).await
    }

    pub async fn complete_at(
        &self,
        key: &str,
        lease: &str,
        response: &[u8],
        now: u64,
    ) -> Result<bool> {
        let record = record_key(key)?;
        self.store
            .idempotency_complete(&record, lease, response, now, self.config.ttl)
            .await
    }

    /// Releases the key so that a retry runs the request again; `false` if `lease` no
    /// longer held it.
    pub async fn abort(&self, key: &str, lease: &str) -> Result<bool> {
        self.abort_at(key, lease, now_ms()).await
    }

    pub async fn abort_at(&self, key: &str, lease: &str, now: u64) -> Result<bool> {
        let record = record_key(key)?;
        self.store.idempotency_abort(&record, lease, now).await
    }
}

mod canonical;
#[cfg(test)]
mod tests;

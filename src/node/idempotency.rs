//! Bindings for `crate::idempotency`: the fingerprint, and the store of idempotent responses.
//! Operations return a promise of their value or a `Failure` (`{ code, message }`), which the
//! JS layer turns into a rejected `FerroAuthError`.

// napi-derive registers free functions only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use super::error::{millis, to_js, Result};
use super::jwt::Failure;
use super::settle::settle_in_process_or_spawn;
use super::store::StoreHandle;
use super::text::Utf8Text;
use crate::idempotency::{self, Begun, Body, Idempotency, IdempotencyConfig, StoredResponse};

/// The longest idempotency key, in UTF-8 bytes.
#[napi]
pub const MAX_IDEMPOTENCY_KEY_BYTES: u32 = idempotency::MAX_KEY_BYTES as u32;

/// SHA-256 (hex) of a request: `body` is JSON text to canonicalise when `json` is true, else
/// raw bytes (a string's UTF-8, or a Buffer); absent means no body.
#[napi(
    ts_args_type = "method: string, path: string, body: string | Buffer | undefined | null, json: boolean"
)]
pub fn request_fingerprint(
    method: Utf8Text,
    path: Utf8Text,
    body: Option<Either<Utf8Text, Buffer>>,
    json: bool,
) -> String {
    let body = match &body {
        None => Body::None,
        Some(Either::A(text)) if json => Body::Json(&text.0),
        Some(Either::A(text)) => Body::Bytes(text.0.as_bytes()),
        Some(Either::B(bytes)) => Body::Bytes(bytes),
    };
    idempotency::fingerprint(&method.0, &path.0, body)
}

/// `IdempotencyStore` options as the JS layer passes them (types checked there).
#[napi(object)]
pub struct IdempotencyOptions {
    pub ttl: Option<Either<f64, String>>,
    pub lock_ttl: Option<Either<f64, String>>,
}

/// `begin`'s answer: `{ replay: false, lease }` or `{ replay: true, status, headers, body }`,
/// headers as a flat list of names and values.
#[napi(object)]
pub struct BeginResult {
    pub replay: bool,
    pub lease: Option<String>,
    pub status: Option<u32>,
    pub headers: Option<Vec<String>>,
    pub body: Option<Buffer>,
}

impl From<Begun> for BeginResult {
    fn from(begun: Begun) -> Self {
        match begun {
            Begun::Started { lease } => BeginResult {
                replay: false,
                lease: Some(lease),
                status: None,
                headers: None,
                body: None,
            },
            Begun::Replay(response) => BeginResult {
                replay: true,
                lease: None,
                status: Some(u32::from(response.status)),
                headers: Some(
                    response
                        .headers
                        .into_iter()
                        .flat_map(|(name, value)| [name, value])
                        .collect(),
                ),
                body: Some(response.body.into()),
            },
        }
    }
}

#[napi]
pub struct IdempotencyHandle {
    inner: Arc<Idempotency>,
}

#[napi]
impl IdempotencyHandle {
    #[napi(constructor)]
    pub fn new(store: &StoreHandle, options: IdempotencyOptions) -> Result<Self> {
        let defaults = IdempotencyConfig::default();
        let ttl = millis(&options.ttl, "ttl")?.unwrap_or(defaults.ttl);
        let lock_ttl = millis(&options.lock_ttl, "lockTtl")?.unwrap_or(ttl);
        let inner = Idempotency::new(store.store.clone(), IdempotencyConfig { ttl, lock_ttl })
            .map_err(to_js)?;
        Ok(IdempotencyHandle {
            inner: Arc::new(inner),
        })
    }

    /// The configured ttl and lockTtl, in seconds.
    #[napi(getter)]
    pub fn ttl_seconds(&self) -> f64 {
        self.inner.config().ttl as f64 / 1000.0
    }

    #[napi(getter)]
    pub fn lock_ttl_seconds(&self) -> f64 {
        self.inner.config().lock_ttl as f64 / 1000.0
    }

    #[napi(ts_return_type = "Promise<BeginResult | Failure>")]
    pub fn begin<'env>(
        &self,
        env: &'env Env,
        key: String,
        fingerprint: String,
    ) -> napi::Result<PromiseRaw<'env, Either<BeginResult, Failure>>> {
        let inner = self.inner.clone();
        settle_in_process_or_spawn(env, inner.is_in_process(), async move {
            inner.begin(&key, &fingerprint).await.map(BeginResult::from)
        })
    }

    /// `headers` is a flat list of names and values.
    #[napi(ts_return_type = "Promise<boolean | Failure>")]
    pub fn complete<'env>(
        &self,
        env: &'env Env,
        key: String,
        lease: String,
        status: u32,
        headers: Vec<String>,
        body: Buffer,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        // The blob is made here, from the borrowed strings and Buffer, in one copy.
        let response = u16::try_from(status)
            .ok()
            .filter(|status| (100..=999).contains(status))
            .map(|status| {
                let size = 6 + body.len() + headers.iter().map(|h| 4 + h.len()).sum::<usize>();
                let mut blob = Vec::with_capacity(size);
                let pairs = headers
                    .chunks_exact(2)
                    .map(|pair| (pair[0].as_str(), pair[1].as_str()));
                StoredResponse::encode_parts(status, pairs, &body, &mut blob);
                blob
            });
        let inner = self.inner.clone();
        settle_in_process_or_spawn(env, inner.is_in_process(), async move {
            let response = response.ok_or_else(|| {
                crate::Error::invalid_option("status must be an HTTP status code from 100 to 999")
            })?;
            inner.complete(&key, &lease, &response).await
        })
    }

    #[napi(ts_return_type = "Promise<boolean | Failure>")]
    pub fn abort<'env>(
        &self,
        env: &'env Env,
        key: String,
        lease: String,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        let inner = self.inner.clone();
        settle_in_process_or_spawn(env, inner.is_in_process(), async move {
            inner.abort(&key, &lease).await
        })
    }
}

//! Bindings for `crate::ratelimit`: `consume` and `reset` return a promise of their value or a
//! `Failure` (`{ code, message }`). On the memory store the promise is settled before it is
//! returned (a few map updates, cheaper than a trip through the runtime); Redis calls settle
//! from the tokio runtime.

// napi-derive registers constants only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::Arc;

use napi::bindgen_prelude::{Either, Float64ArraySlice, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use super::error::{failure, millis, to_js, Result};
use super::jwt::Failure;
use super::settle::settle_in_process_or_spawn;
use super::store::StoreHandle;
use crate::ratelimit::{self, LimiterConfig, RateLimiter};

/// The longest rate-limit key, in UTF-8 bytes.
#[napi]
pub const MAX_RATE_LIMIT_KEY_BYTES: u32 = ratelimit::MAX_KEY_BYTES as u32;

/// `RateLimiter` options as the JS layer passes them (types checked there).
#[napi(object)]
pub struct RateLimitOptions {
    pub limit: f64,
    pub window: Either<f64, String>,
    pub name: Option<String>,
}

#[napi(object)]
pub struct RateLimitDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub retry_after: u32,
    pub reset_at: f64,
    /// Whole seconds until `reset_at`, on the clock of the decision (the server's, for Redis).
    pub reset_after: u32,
}

#[napi]
pub struct RateLimiterHandle {
    limiter: Arc<RateLimiter>,
}

#[napi]
impl RateLimiterHandle {
    #[napi(constructor)]
    pub fn new(store: &StoreHandle, options: RateLimitOptions) -> Result<Self> {
        let window = millis(&Some(options.window), "window")?.unwrap_or(0);
        let config = LimiterConfig {
            limit: options.limit,
            window,
            name: options.name,
        };
        let limiter = RateLimiter::new(store.store.clone(), config).map_err(to_js)?;
        Ok(RateLimiterHandle {
            limiter: Arc::new(limiter),
        })
    }

    #[napi(getter)]
    pub fn limit(&self) -> u32 {
        self.limiter.limit()
    }

    /// The window, in seconds.
    #[napi(getter)]
    pub fn window_seconds(&self) -> f64 {
        self.limiter.window() as f64 / 1000.0
    }

    /// True when `consumeInto` works (the memory store).
    #[napi(getter)]
    pub fn in_process(&self) -> bool {
        self.limiter.is_in_process()
    }

    /// A consume on the memory store, done before returning: the decision is written to
    /// `out` as [allowed (1 or 0), limit, remaining, retryAfter, resetAt, resetAfter] and
    /// nothing is returned, or a `Failure` is. Filling six numbers costs a fraction of
    /// making an object and a promise here. On Redis it returns a `Failure` (use `consume`).
    #[napi]
    pub fn consume_into(&self, key: String, mut out: Float64ArraySlice) -> Option<Failure> {
        let decision = match self.limiter.consume_in_process(&key) {
            Some(Ok(decision)) => decision,
            Some(Err(error)) => return Some(failure(error)),
            None => {
                return Some(failure(crate::Error::invalid_option(
                    "consumeInto needs an in-process store",
                )))
            }
        };
        // Safety: a slice of a typed array the JS thread passed in and does not touch
        // while this call runs on it.
        let out = unsafe { out.as_mut() };
        if out.len() < 6 {
            return Some(failure(crate::Error::invalid_option(
                "consumeInto needs a Float64Array of 6",
            )));
        }
        out[..6].copy_from_slice(&[
            f64::from(u8::from(decision.allowed)),
            f64::from(decision.limit),
            f64::from(decision.remaining),
            f64::from(decision.retry_after),
            decision.reset_at as f64,
            f64::from(decision.reset_after),
        ]);
        None
    }

    #[napi(ts_return_type = "Promise<RateLimitDecision | Failure>")]
    pub fn consume<'env>(
        &self,
        env: &'env Env,
        key: String,
    ) -> napi::Result<PromiseRaw<'env, Either<RateLimitDecision, Failure>>> {
        let limiter = self.limiter.clone();
        settle_in_process_or_spawn(env, limiter.is_in_process(), async move {
            let d = limiter.consume(&key).await?;
            Ok(RateLimitDecision {
                allowed: d.allowed,
                limit: d.limit,
                remaining: d.remaining,
                retry_after: d.retry_after,
                reset_at: d.reset_at as f64,
                reset_after: d.reset_after,
            })
        })
    }

    #[napi(ts_return_type = "Promise<boolean | Failure>")]
    pub fn reset<'env>(
        &self,
        env: &'env Env,
        key: String,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        let limiter = self.limiter.clone();
        settle_in_process_or_spawn(env, limiter.is_in_process(), async move {
            limiter.reset(&key).await
        })
    }
}

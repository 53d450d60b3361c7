//! Bindings for `crate::store`: one handle class for both stores, which the JS layer wraps
//! as `MemoryStore` and `RedisStore`.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Either, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use super::error::{millis, outcome, to_js, Result};
use super::jwt::Failure;
use super::settle::spawn_settled;
use crate::store::{MemoryStore, RedisConfig, RedisStore, Store};

/// `RedisStore` options as the JS layer passes them (types checked there).
#[napi(object)]
pub struct RedisOptions {
    pub url: Option<String>,
    pub cluster: Option<Vec<String>>,
    pub key_prefix: Option<String>,
    pub connect_timeout: Option<Either<f64, String>>,
    pub command_timeout: Option<Either<f64, String>>,
}

#[napi]
pub struct StoreHandle {
    pub(crate) store: Store,
}

fn timeout(
    value: &Option<Either<f64, String>>,
    option: &str,
    default: Duration,
) -> Result<Duration> {
    Ok(millis(value, option)?.map_or(default, Duration::from_millis))
}

#[napi]
impl StoreHandle {
    #[napi(factory)]
    pub fn memory() -> Self {
        StoreHandle {
            store: Store::Memory(Arc::new(MemoryStore::new())),
        }
    }

    #[napi(factory)]
    pub fn redis(options: RedisOptions) -> Result<Self> {
        let defaults = RedisConfig::default();
        let config = RedisConfig {
            url: options.url.unwrap_or(defaults.url),
            cluster: options.cluster.unwrap_or_default(),
            key_prefix: options.key_prefix.unwrap_or(defaults.key_prefix),
            connect_timeout: timeout(
                &options.connect_timeout,
                "connectTimeout",
                defaults.connect_timeout,
            )?,
            command_timeout: timeout(
                &options.command_timeout,
                "commandTimeout",
                defaults.command_timeout,
            )?,
        };
        let store = RedisStore::new(config).map_err(to_js)?;
        Ok(StoreHandle {
            store: Store::Redis(Arc::new(store)),
        })
    }

    /// Resolves `true` once the store answers (at once for the memory store).
    #[napi(ts_return_type = "Promise<true | Failure>")]
    pub fn ping<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        match &self.store {
            Store::Memory(_) => PromiseRaw::resolve(env, outcome(Ok(true))),
            Store::Redis(redis) => {
                let redis = redis.clone();
                spawn_settled(env, async move { redis.ping().await.map(|()| true) })
            }
        }
    }

    /// Session records held (memory store only; -1 for Redis), for tests and metrics.
    #[napi]
    pub fn size(&self) -> i64 {
        match &self.store {
            Store::Memory(memory) => memory.len() as i64,
            Store::Redis(_) => -1,
        }
    }
}

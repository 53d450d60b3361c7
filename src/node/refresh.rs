//! Bindings for `crate::refresh`. Every operation returns a promise of its value or a
//! `Failure` (`{ code, message }`), which the JS layer turns into a rejected
//! `FerroAuthError`. Redis operations run on the tokio runtime; memory-store operations,
//! which have no I/O to wait for, complete on the calling thread.

// napi-derive registers free functions only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use zeroize::Zeroizing;

use super::error::{millis, outcome, to_js, Result};
use super::jwt::Failure;
use super::settle::settle_in_process_or_spawn;
use super::store::StoreHandle;
use crate::refresh::{self, Context, Manager, ManagerConfig, SessionRecord};

/// Every refresh token has this many characters; the JS layer refuses others unseen.
#[napi]
pub const REFRESH_TOKEN_LENGTH: u32 = refresh::TOKEN_LENGTH as u32;

/// The longest user id, in UTF-8 bytes.
#[napi]
pub const MAX_USER_ID_BYTES: u32 = refresh::MAX_USER_ID_BYTES as u32;

fn secret_bytes(value: Option<Either<String, Buffer>>) -> Option<Zeroizing<Vec<u8>>> {
    value.map(|v| {
        Zeroizing::new(match v {
            Either::A(text) => text.into_bytes(),
            Either::B(bytes) => bytes.to_vec(),
        })
    })
}

/// `RefreshTokenManager` options as the JS layer passes them (types checked there).
#[napi(object)]
pub struct RefreshOptions {
    pub ttl: Option<Either<f64, String>>,
    pub idle_ttl: Option<Either<f64, String>>,
    pub reuse_grace: Option<Either<f64, String>>,
    pub secret: Option<Either<String, Buffer>>,
}

#[napi(object)]
pub struct SessionContext {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[napi(object)]
pub struct IssuedToken {
    pub token: String,
    pub family_id: String,
    pub expires_at: f64,
}

#[napi(object)]
pub struct RotatedToken {
    pub token: String,
    pub user_id: String,
    pub family_id: String,
    pub expires_at: f64,
}

#[napi(object)]
pub struct Session {
    pub family_id: String,
    pub user_id: String,
    pub created_at: f64,
    pub last_used_at: f64,
    pub expires_at: f64,
    pub idle_expires_at: f64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[napi(object)]
pub struct StandaloneToken {
    pub token: String,
    pub hash: String,
    pub expires_at: f64,
}

fn context(value: Option<SessionContext>) -> Context {
    value.map_or_else(Context::default, |c| Context {
        user_agent: c.user_agent,
        ip: c.ip,
    })
}

fn session(record: SessionRecord) -> Session {
    Session {
        family_id: record.family_id,
        user_id: record.user_id,
        created_at: record.created_at as f64,
        last_used_at: record.last_used_at as f64,
        expires_at: record.expires_at as f64,
        idle_expires_at: record.token_expires_at as f64,
        user_agent: record.user_agent,
        ip: record.ip,
    }
}

#[napi]
pub struct RefreshManagerHandle {
    manager: Arc<Manager>,
}

#[napi]
impl RefreshManagerHandle {
    #[napi(constructor)]
    pub fn new(store: &StoreHandle, options: RefreshOptions) -> Result<Self> {
        let defaults = ManagerConfig::default();
        let config = ManagerConfig {
            ttl: millis(&options.ttl, "ttl")?.unwrap_or(defaults.ttl),
            idle_ttl: millis(&options.idle_ttl, "idleTtl")?,
            reuse_grace: millis(&options.reuse_grace, "reuseGrace")?.unwrap_or(0),
            secret: secret_bytes(options.secret),
        };
        let manager = Manager::new(store.store.clone(), config).map_err(to_js)?;
        Ok(RefreshManagerHandle {
            manager: Arc::new(manager),
        })
    }

    /// The configured ttl, in seconds (for cookie lifetimes).
    #[napi(getter)]
    pub fn ttl_seconds(&self) -> f64 {
        self.manager.config().ttl as f64 / 1000.0
    }

    #[napi(ts_return_type = "Promise<IssuedToken | Failure>")]
    pub fn issue<'env>(
        &self,
        env: &'env Env,
        user_id: String,
        context_value: Option<SessionContext>,
    ) -> napi::Result<PromiseRaw<'env, Either<IssuedToken, Failure>>> {
        let ctx = context(context_value);
        let m = self.manager.clone();
        settle_in_process_or_spawn(env, m.is_in_process(), async move {
            let issued = m.issue(&user_id, &ctx).await?;
            Ok(IssuedToken {
                token: issued.token.to_string(),
                family_id: issued.family_id,
                expires_at: issued.expires_at as f64,
            })
        })
    }

    #[napi(ts_return_type = "Promise<RotatedToken | Failure>")]
    pub fn rotate<'env>(
        &self,
        env: &'env Env,
        token: String,
        context_value: Option<SessionContext>,
    ) -> napi::Result<PromiseRaw<'env, Either<RotatedToken, Failure>>> {
        let ctx = context(context_value);
        let token = Zeroizing::new(token);
        let m = self.manager.clone();
        settle_in_process_or_spawn(env, m.is_in_process(), async move {
            let rotated = m.rotate(&token, &ctx).await?;
            Ok(RotatedToken {
                token: rotated.token.to_string(),
                user_id: rotated.user_id,
                family_id: rotated.family_id,
                expires_at: rotated.expires_at as f64,
            })
        })
    }

    #[napi(ts_return_type = "Promise<boolean | Failure>")]
    pub fn revoke<'env>(
        &self,
        env: &'env Env,
        token: String,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        let token = Zeroizing::new(token);
        let m = self.manager.clone();
        settle_in_process_or_spawn(
            env,
            m.is_in_process(),
            async move { m.revoke(&token).await },
        )
    }

    #[napi(ts_return_type = "Promise<boolean | Failure>")]
    pub fn revoke_family<'env>(
        &self,
        env: &'env Env,
        family_id: String,
    ) -> napi::Result<PromiseRaw<'env, Either<bool, Failure>>> {
        let m = self.manager.clone();
        settle_in_process_or_spawn(env, m.is_in_process(), async move {
            m.revoke_family(&family_id).await
        })
    }

    #[napi(ts_return_type = "Promise<number | Failure>")]
    pub fn revoke_all_for_user<'env>(
        &self,
        env: &'env Env,
        user_id: String,
    ) -> napi::Result<PromiseRaw<'env, Either<u32, Failure>>> {
        let m = self.manager.clone();
        settle_in_process_or_spawn(env, m.is_in_process(), async move {
            m.revoke_all_for_user(&user_id).await
        })
    }

    #[napi(ts_return_type = "Promise<Session[] | Failure>")]
    pub fn list_sessions<'env>(
        &self,
        env: &'env Env,
        user_id: String,
    ) -> napi::Result<PromiseRaw<'env, Either<Vec<Session>, Failure>>> {
        let m = self.manager.clone();
        settle_in_process_or_spawn(env, m.is_in_process(), async move {
            let records = m.list_sessions(&user_id).await?;
            Ok(records.into_iter().map(session).collect())
        })
    }

    /// The stored form of `token` under this manager's secret (no shape check).
    #[napi]
    pub fn hash(&self, token: String) -> String {
        self.manager.hash(&token)
    }
}

/// A token and its hash for apps that keep sessions in their own database.
#[napi]
pub fn create_refresh_token(
    ttl: Option<Either<f64, String>>,
    secret: Option<Either<String, Buffer>>,
) -> Result<StandaloneToken> {
    let ttl = millis(&ttl, "ttl")?.unwrap_or(ManagerConfig::default().ttl);
    let secret = secret_bytes(secret);
    let (token, hash, expires_at) =
        refresh::create_standalone(ttl, secret.as_deref().map(Vec::as_slice)).map_err(to_js)?;
    Ok(StandaloneToken {
        token: token.to_string(),
        hash,
        expires_at: expires_at as f64,
    })
}

#[napi]
pub fn hash_refresh_token(
    token: String,
    secret: Option<Either<String, Buffer>>,
) -> Either<String, Failure> {
    let secret = secret_bytes(secret);
    outcome(refresh::hash_standalone(
        &token,
        secret.as_deref().map(Vec::as_slice),
    ))
}

//! The napi bindings: type and error conversion only, one file per capability.

mod duration;
mod error;
mod idempotency;
mod jwt;
mod password;
mod pkce;
mod ratelimit;
mod refresh;
mod settle;
mod store;
mod text;

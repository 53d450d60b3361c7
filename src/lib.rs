#![deny(clippy::all)]
//! ferroauth's core: plain Rust, no napi types. The Node.js bindings live in `node`.

pub mod duration;
pub mod error;
pub mod idempotency;
pub mod jwt;
pub mod node;
pub mod password;
pub mod pkce;
pub mod random;
pub mod ratelimit;
pub mod refresh;
pub mod store;

pub use error::{Error, Result};

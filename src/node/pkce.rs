//! Bindings for `crate::pkce` and `crate::random`: PKCE verifiers and challenges, random
//! tokens. Failures are returned as `{ code, message }`, for the JS layer to throw.

// napi-derive registers free functions only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::Either;
use napi_derive::napi;

use super::error::outcome;
use super::jwt::Failure;
use super::text::Utf8Text;
use crate::pkce::{self, ChallengeMethod};
use crate::random;

/// A new RFC 7636 code verifier: 43 characters from 32 random bytes.
#[napi]
pub fn generate_code_verifier() -> Either<String, Failure> {
    outcome(pkce::generate_verifier())
}

/// The code challenge for `verifier` under `method` (`"S256"` or `"plain"`).
#[napi(ts_args_type = "verifier: string, method: string")]
pub fn generate_code_challenge(verifier: Utf8Text, method: Utf8Text) -> Either<String, Failure> {
    outcome(ChallengeMethod::from_name(&method.0).and_then(|m| pkce::challenge(&verifier.0, m)))
}

/// `bytes` (an integer, checked by the JS layer) random bytes as base64url.
#[napi]
pub fn random_token(bytes: f64) -> Either<String, Failure> {
    outcome(random::token(bytes.clamp(0.0, u32::MAX as f64) as usize))
}

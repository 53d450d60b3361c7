//! The one error type of the Rust core. Every failure the library can report has a stable
//! code here; the bindings and the JS layer pass the code through unchanged.

use std::borrow::Cow;

/// Advice about a configuration that works but is unwise, surfaced once by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

impl Warning {
    pub const HMAC_SECRET_SHORT: &'static str = "FERROAUTH_HMAC_SECRET_SHORT";
}

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    // Token rejections (returned by `Verifier::verify`).
    #[error("Token is malformed: {0}")]
    JwtMalformed(Cow<'static, str>),
    #[error("Token is larger than the {0} byte limit")]
    JwtTooLarge(usize),
    #[error("Algorithm {0:?} is not allowed for this key")]
    JwtAlgNotAllowed(String),
    #[error("Token type {0} is not accepted (expected \"JWT\" or \"at+jwt\")")]
    JwtTypeInvalid(String),
    #[error("Token has critical header parameters that are not understood: {0}")]
    JwtCritUnsupported(String),
    #[error("No key matches the token's key id {0:?}")]
    JwtKeyNotFound(String),
    #[error("Signature verification failed")]
    JwtSignatureInvalid,
    #[error("{0}")]
    JwtExpired(Cow<'static, str>),
    #[error("Token is not valid yet (\"nbf\" is in the future)")]
    JwtNotYetValid,
    #[error("{message}")]
    JwtClaimInvalid { claim: String, message: String },
    #[error("Missing required \"{claim}\" claim")]
    JwtClaimMissing { claim: String },

    // Signing.
    #[error("Claims are invalid: {0}")]
    JwtClaimsInvalid(Cow<'static, str>),

    // Configuration (raised once, when a signer or verifier is built).
    #[error("{0}")]
    KeyInvalid(Cow<'static, str>),
    #[error("{0}")]
    KeyTooWeak(Cow<'static, str>),
    #[error("{0}")]
    AlgUnsupported(Cow<'static, str>),
    #[error("{0}")]
    InvalidOption(Cow<'static, str>),
}

impl Error {
    /// The stable code, as JavaScript sees it in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::JwtMalformed(_) => "ERR_JWT_MALFORMED",
            Error::JwtTooLarge(_) => "ERR_JWT_TOO_LARGE",
            Error::JwtAlgNotAllowed(_) => "ERR_JWT_ALG_NOT_ALLOWED",
            Error::JwtTypeInvalid(_) => "ERR_JWT_TYPE_INVALID",
            Error::JwtCritUnsupported(_) => "ERR_JWT_CRIT_UNSUPPORTED",
            Error::JwtKeyNotFound(_) => "ERR_JWT_KEY_NOT_FOUND",
            Error::JwtSignatureInvalid => "ERR_JWT_SIGNATURE_INVALID",
            Error::JwtExpired(_) => "ERR_JWT_EXPIRED",
            Error::JwtNotYetValid => "ERR_JWT_NOT_YET_VALID",
            Error::JwtClaimInvalid { .. } => "ERR_JWT_CLAIM_INVALID",
            Error::JwtClaimMissing { .. } => "ERR_JWT_CLAIM_MISSING",
            Error::JwtClaimsInvalid(_) => "ERR_JWT_CLAIMS_INVALID",
            Error::KeyInvalid(_) => "ERR_JWT_KEY_INVALID",
            Error::KeyTooWeak(_) => "ERR_JWT_KEY_TOO_WEAK",
            Error::AlgUnsupported(_) => "ERR_JWT_ALG_UNSUPPORTED",
            Error::InvalidOption(_) => "ERR_INVALID_OPTION",
        }
    }

    /// The claim a claim failure is about, if any.
    pub fn claim(&self) -> Option<&str> {
        match self {
            Error::JwtClaimInvalid { claim, .. } | Error::JwtClaimMissing { claim } => Some(claim),
            _ => None,
        }
    }

    pub(crate) fn malformed(reason: &'static str) -> Self {
        Error::JwtMalformed(Cow::Borrowed(reason))
    }

    pub(crate) fn claim_invalid(claim: &str, message: impl Into<String>) -> Self {
        Error::JwtClaimInvalid {
            claim: claim.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn claim_missing(claim: &str) -> Self {
        Error::JwtClaimMissing {
            claim: claim.to_owned(),
        }
    }

    pub(crate) fn key_invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Error::KeyInvalid(message.into())
    }

    pub(crate) fn invalid_option(message: impl Into<Cow<'static, str>>) -> Self {
        Error::InvalidOption(message.into())
    }
}

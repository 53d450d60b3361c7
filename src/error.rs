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

    // Password hashing and verification.
    #[error("Password is empty")]
    PasswordEmpty,
    #[error("Password is larger than the {0} byte limit")]
    PasswordTooLarge(usize),
    #[error(
        "Password is longer than 72 bytes, which a bcrypt hash cannot check without truncating it"
    )]
    PasswordBcryptTooLong,
    #[error("Password hash is malformed: {0}")]
    PasswordHashInvalid(Cow<'static, str>),
    #[error("Password hash is not supported: {0}")]
    PasswordHashUnsupported(Cow<'static, str>),
    #[error("Password hash parameters exceed the limits: {0}")]
    PasswordHashTooCostly(Cow<'static, str>),
    #[error("The operation was aborted")]
    Aborted,

    // Password policy (reported by `check_policy`, one per broken rule).
    #[error("Password must be at least {0} characters long")]
    PasswordTooShort(usize),
    #[error("Password must be at most {0} characters long")]
    PasswordTooLong(usize),
    #[error("Password must contain at least one uppercase letter")]
    PasswordNoUppercase,
    #[error("Password must contain at least one lowercase letter")]
    PasswordNoLowercase,
    #[error("Password must contain at least one number")]
    PasswordNoDigit,
    #[error("Password must contain at least one special character")]
    PasswordNoSymbol,

    // PKCE (RFC 7636) and randomness.
    #[error("PKCE code verifier is invalid: {0}")]
    PkceVerifierInvalid(Cow<'static, str>),
    #[error("PKCE code challenge method {0:?} is not supported (use \"S256\" or \"plain\")")]
    PkceMethodUnsupported(String),
    #[error("The system random number generator failed")]
    RandomFailed,

    // Refresh tokens.
    #[error("Refresh token is invalid: {0}")]
    RefreshInvalid(Cow<'static, str>),
    #[error("Refresh token has expired")]
    RefreshExpired,
    #[error("Refresh token has been revoked")]
    RefreshRevoked,
    #[error("Refresh token was already used; its session has been revoked")]
    RefreshReused,

    // Stores.
    #[error("The store is unavailable: {0}")]
    StoreUnavailable(String),
    #[error("The store failed: {0}")]
    StoreFailed(String),

    // Request idempotency.
    #[error("Idempotency key already used with a different payload")]
    IdempotencyMismatch,
    #[error("A request with this idempotency key is still being processed")]
    IdempotencyInProgress,
    #[error("Idempotency key must be 1 to {0} bytes of UTF-8")]
    IdempotencyKeyInvalid(usize),

    // Rate limiting.
    #[error("Rate limit key is invalid: {0}")]
    RateLimitKeyInvalid(Cow<'static, str>),
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
            Error::PasswordEmpty => "ERR_PASSWORD_EMPTY",
            Error::PasswordTooLarge(_) => "ERR_PASSWORD_TOO_LARGE",
            Error::PasswordBcryptTooLong => "ERR_PASSWORD_BCRYPT_TOO_LONG",
            Error::PasswordHashInvalid(_) => "ERR_PASSWORD_HASH_INVALID",
            Error::PasswordHashUnsupported(_) => "ERR_PASSWORD_HASH_UNSUPPORTED",
            Error::PasswordHashTooCostly(_) => "ERR_PASSWORD_HASH_TOO_COSTLY",
            Error::Aborted => "ERR_ABORTED",
            Error::PasswordTooShort(_) => "ERR_PASSWORD_TOO_SHORT",
            Error::PasswordTooLong(_) => "ERR_PASSWORD_TOO_LONG",
            Error::PasswordNoUppercase => "ERR_PASSWORD_NO_UPPERCASE",
            Error::PasswordNoLowercase => "ERR_PASSWORD_NO_LOWERCASE",
            Error::PasswordNoDigit => "ERR_PASSWORD_NO_DIGIT",
            Error::PasswordNoSymbol => "ERR_PASSWORD_NO_SYMBOL",
            Error::PkceVerifierInvalid(_) => "ERR_PKCE_VERIFIER_INVALID",
            Error::PkceMethodUnsupported(_) => "ERR_PKCE_METHOD_UNSUPPORTED",
            Error::RandomFailed => "ERR_RANDOM_FAILED",
            Error::RefreshInvalid(_) => "ERR_REFRESH_INVALID",
            Error::RefreshExpired => "ERR_REFRESH_EXPIRED",
            Error::RefreshRevoked => "ERR_REFRESH_REVOKED",
            Error::RefreshReused => "ERR_REFRESH_REUSED",
            Error::StoreUnavailable(_) => "ERR_STORE_UNAVAILABLE",
            Error::StoreFailed(_) => "ERR_STORE_FAILED",
            // Request idempotency.
            Error::IdempotencyMismatch => "ERR_IDEMPOTENCY_MISMATCH",
            Error::IdempotencyInProgress => "ERR_IDEMPOTENCY_IN_PROGRESS",
            Error::IdempotencyKeyInvalid(_) => "ERR_IDEMPOTENCY_KEY_INVALID",
            // Rate limiting.
            Error::RateLimitKeyInvalid(_) => "ERR_RATE_LIMIT_KEY_INVALID",
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

    pub(crate) fn hash_invalid(reason: impl Into<Cow<'static, str>>) -> Self {
        Error::PasswordHashInvalid(reason.into())
    }

    pub(crate) fn refresh_invalid(reason: &'static str) -> Self {
        Error::RefreshInvalid(Cow::Borrowed(reason))
    }

    pub(crate) fn invalid_option(message: impl Into<Cow<'static, str>>) -> Self {
        Error::InvalidOption(message.into())
    }
}

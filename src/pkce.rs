//! PKCE (RFC 7636): code verifiers and their `S256` / `plain` challenges.

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Error, Result};
use crate::random;

/// RFC 7636 §4.1: a verifier is 43 to 128 characters.
pub const MIN_VERIFIER_LEN: usize = 43;
pub const MAX_VERIFIER_LEN: usize = 128;
/// A generated verifier encodes this many random bytes (43 characters, RFC 7636 §4.1's advice).
pub const VERIFIER_BYTES: usize = 32;

/// How the challenge is derived from the verifier (RFC 7636 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    S256,
    Plain,
}

impl ChallengeMethod {
    /// `"S256"` or `"plain"`, spelled exactly as RFC 7636 registers them.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "S256" => Ok(ChallengeMethod::S256),
            "plain" => Ok(ChallengeMethod::Plain),
            other => Err(Error::PkceMethodUnsupported(other.to_owned())),
        }
    }
}

/// A new verifier: 32 bytes from the OS CSPRNG as base64url, 43 characters of the
/// unreserved set.
pub fn generate_verifier() -> Result<String> {
    random::token(VERIFIER_BYTES)
}

/// Checks a verifier against RFC 7636 §4.1: `[A-Za-z0-9-._~]{43,128}`.
pub fn validate_verifier(verifier: &str) -> Result<()> {
    let len = verifier.len();
    if len < MIN_VERIFIER_LEN {
        return Err(Error::PkceVerifierInvalid(
            format!("it is shorter than {MIN_VERIFIER_LEN} characters (RFC 7636 §4.1)").into(),
        ));
    }
    if len > MAX_VERIFIER_LEN {
        return Err(Error::PkceVerifierInvalid(
            format!("it is longer than {MAX_VERIFIER_LEN} characters (RFC 7636 §4.1)").into(),
        ));
    }
    let unreserved =
        |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~';
    if !verifier.bytes().all(unreserved) {
        return Err(Error::PkceVerifierInvalid(
            "it may only contain letters, digits and \"-._~\" (RFC 7636 §4.1)".into(),
        ));
    }
    Ok(())
}

/// The challenge for `verifier`: `BASE64URL(SHA256(verifier))` for `S256`, the verifier
/// itself for `plain`. The verifier is validated first.
pub fn challenge(verifier: &str, method: ChallengeMethod) -> Result<String> {
    validate_verifier(verifier)?;
    Ok(match method {
        ChallengeMethod::S256 => {
            URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref())
        }
        ChallengeMethod::Plain => verifier.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            challenge(RFC_VERIFIER, ChallengeMethod::S256).unwrap(),
            RFC_CHALLENGE
        );
        assert_eq!(
            challenge(RFC_VERIFIER, ChallengeMethod::Plain).unwrap(),
            RFC_VERIFIER
        );
    }

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = generate_verifier().unwrap();
        let b = generate_verifier().unwrap();
        assert_eq!(a.len(), 43);
        validate_verifier(&a).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn verifier_bounds_and_charset() {
        validate_verifier(&"a".repeat(43)).unwrap();
        validate_verifier(&"~._-".repeat(32)).unwrap();
        for bad in [
            String::new(),
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(42)),
            format!("{}=", "a".repeat(42)),
            format!("{} ", "a".repeat(42)),
            format!("{}é", "a".repeat(42)),
        ] {
            let error = challenge(&bad, ChallengeMethod::S256).unwrap_err();
            assert_eq!(error.code(), "ERR_PKCE_VERIFIER_INVALID", "{bad:?}");
        }
    }

    #[test]
    fn methods_are_case_sensitive() {
        assert_eq!(
            ChallengeMethod::from_name("S256"),
            Ok(ChallengeMethod::S256)
        );
        assert_eq!(
            ChallengeMethod::from_name("plain"),
            Ok(ChallengeMethod::Plain)
        );
        for bad in ["s256", "PLAIN", "S384", ""] {
            assert_eq!(
                ChallengeMethod::from_name(bad).unwrap_err().code(),
                "ERR_PKCE_METHOD_UNSUPPORTED"
            );
        }
    }
}

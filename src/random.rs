//! Secure random bytes straight from the operating system's CSPRNG (`getrandom(2)`,
//! `getentropy`, `BCryptGenRandom`, ...), and URL-safe tokens made of them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Error, Result};

/// `random_token`'s default size: 256 bits.
pub const DEFAULT_TOKEN_BYTES: usize = 32;
/// The largest token `random_token` makes, in bytes of randomness.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Fills `bytes` from the OS CSPRNG.
pub fn fill(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes).map_err(|_| Error::RandomFailed)
}

/// `bytes` random bytes as unpadded base64url (RFC 4648 §5): `ceil(bytes * 4 / 3)` characters.
pub fn token(bytes: usize) -> Result<String> {
    if !(1..=MAX_TOKEN_BYTES).contains(&bytes) {
        return Err(Error::invalid_option(format!(
            "bytes must be an integer from 1 to {MAX_TOKEN_BYTES}"
        )));
    }
    let mut buffer = [0u8; MAX_TOKEN_BYTES];
    let random = &mut buffer[..bytes];
    fill(random)?;
    let token = URL_SAFE_NO_PAD.encode(&*random);
    random.fill(0);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_expected_length_and_alphabet() {
        for (bytes, chars) in [(1, 2), (16, 22), (32, 43), (33, 44), (1024, 1366)] {
            let t = token(bytes).unwrap();
            assert_eq!(t.len(), chars, "{bytes} bytes");
            assert!(t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), bytes);
        }
    }

    #[test]
    fn tokens_differ() {
        let a = token(DEFAULT_TOKEN_BYTES).unwrap();
        let b = token(DEFAULT_TOKEN_BYTES).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        for bytes in [0, MAX_TOKEN_BYTES + 1, usize::MAX] {
            assert_eq!(token(bytes).unwrap_err().code(), "ERR_INVALID_OPTION");
        }
    }
}

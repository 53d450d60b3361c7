//! bcrypt hashes (`$2a$`, `$2b$`, `$2y$`), verified so that existing databases keep working.
//!
//! bcrypt only reads the first 72 bytes of a password. Verifying a longer password would
//! silently compare its first 72 bytes only, so that any password sharing them would match:
//! such a password is refused with `ERR_PASSWORD_BCRYPT_TOO_LONG` instead.

use crate::error::{Error, Result};

use super::limits;

/// The most password bytes bcrypt reads.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// A bcrypt hash, checked for shape and cost; the `bcrypt` crate does the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BcryptHash {
    pub cost: u32,
    text: String,
}

impl BcryptHash {
    /// `$2b$<cost>$<22 characters of salt><31 characters of hash>`, 60 characters.
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = text.as_bytes();
        let prefix = bytes.get(..4).unwrap_or(bytes);
        match prefix {
            b"$2a$" | b"$2b$" | b"$2y$" => {}
            b"$2x$" => {
                return Err(Error::PasswordHashUnsupported(
                    "$2x$ marks hashes made with crypt_blowfish's sign-extension bug".into(),
                ))
            }
            _ if bytes.starts_with(b"$2$") => {
                return Err(Error::PasswordHashUnsupported(
                    "the original $2$ bcrypt variant".into(),
                ))
            }
            _ => return Err(Error::hash_invalid("it is not a bcrypt hash")),
        }
        if bytes.len() != 60 {
            return Err(Error::hash_invalid(format!(
                "a bcrypt hash is 60 characters, this one is {}",
                text.chars().count()
            )));
        }
        let cost = &bytes[4..6];
        if !cost.iter().all(u8::is_ascii_digit) || bytes[6] != b'$' {
            return Err(Error::hash_invalid(
                "the bcrypt cost must be two digits followed by \"$\"",
            ));
        }
        let cost = u32::from(cost[0] - b'0') * 10 + u32::from(cost[1] - b'0');
        if !(4..=31).contains(&cost) {
            return Err(Error::hash_invalid(format!(
                "bcrypt cost {cost} is outside 4 to 31"
            )));
        }
        let bcrypt_base64 = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'/';
        if !bytes[7..].iter().all(bcrypt_base64) {
            return Err(Error::hash_invalid(
                "the bcrypt salt and hash must be in bcrypt's base64 alphabet",
            ));
        }
        if cost > limits::MAX_BCRYPT_COST {
            return Err(Error::PasswordHashTooCostly(
                format!(
                    "bcrypt cost {cost} is above the limit of {}",
                    limits::MAX_BCRYPT_COST
                )
                .into(),
            ));
        }
        Ok(BcryptHash {
            cost,
            text: text.to_owned(),
        })
    }

    /// Refuses passwords bcrypt would truncate. Exactly 72 bytes is fine: no other password
    /// can reach the same key, since every longer one is refused here.
    pub fn check_password(&self, password: &[u8]) -> Result<()> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::PasswordBcryptTooLong);
        }
        Ok(())
    }

    /// Recomputes the hash (constant-time comparison, in the `bcrypt` crate).
    pub fn verify(&self, password: &[u8]) -> Result<bool> {
        self.check_password(password)?;
        // `$2a$`, `$2b$` and `$2y$` compute the same function for passwords under 255 bytes.
        // The crate's non-truncating verify refuses 72 bytes too (it counts bcrypt's
        // terminating NUL), so exactly 72 bytes goes through the plain one, which reads them
        // all; anything longer never gets here.
        let outcome = if password.len() == MAX_PASSWORD_BYTES {
            bcrypt::verify(password, &self.text)
        } else {
            bcrypt::non_truncating_verify(password, &self.text)
        };
        outcome.map_err(|e| match e {
            bcrypt::BcryptError::Truncation(_) => Error::PasswordBcryptTooLong,
            bcrypt::BcryptError::InvalidHash(reason) => Error::hash_invalid(reason),
            other => Error::hash_invalid(other.to_string()),
        })
    }
}

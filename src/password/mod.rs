//! Passwords: Argon2id hashing (RFC 9106), verification of Argon2 and bcrypt hashes,
//! rehash advice, a timing-safe check for unknown users, and the password policy.

pub mod argon;
pub mod bcrypt;
pub mod policy;

#[cfg(test)]
mod tests;

use argon::{Algorithm, Version};

use crate::error::{Error, Result};

pub use argon::Argon2Hash;
pub use bcrypt::BcryptHash;
pub use policy::{Policy, PolicyReport};

/// The longest password accepted for hashing or verification, in UTF-8 bytes. Argon2 reads
/// any length, but nothing longer than this is a password anyone types, and a limit keeps
/// megabyte-sized inputs from being copied and hashed on request.
pub const MAX_PASSWORD_BYTES: usize = 4096;
/// The longest secret (pepper), in bytes.
pub const MAX_SECRET_BYTES: usize = 1024;
/// A hash string longer than this is refused before it is parsed.
pub const MAX_HASH_LENGTH: usize = 512;

/// The costs above which a stored hash is refused (`ERR_PASSWORD_HASH_TOO_COSTLY`) instead of
/// being run, and which `hashPassword` options may not exceed.
pub mod limits {
    /// 256 MiB, in KiB: libsodium's "moderate" preset, 13 times OWASP's 19 MiB.
    pub const MAX_MEMORY_COST: u32 = 256 * 1024;
    /// Passes over memory: 8 times OWASP's 2.
    pub const MAX_TIME_COST: u32 = 16;
    /// Lanes.
    pub const MAX_PARALLELISM: u32 = 16;
    /// 2^16 bcrypt rounds: seconds per check, 64 times the common cost 10.
    pub const MAX_BCRYPT_COST: u32 = 16;
}

/// Argon2id costs for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashOptions {
    /// KiB of memory.
    pub memory_cost: u32,
    /// Passes over the memory.
    pub time_cost: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl HashOptions {
    /// OWASP's Password Storage Cheat Sheet: m=19456 KiB (19 MiB), t=2, p=1.
    pub const DEFAULT: HashOptions = HashOptions {
        memory_cost: 19_456,
        time_cost: 2,
        parallelism: 1,
    };

    pub fn validate(&self) -> Result<()> {
        let HashOptions {
            memory_cost: m,
            time_cost: t,
            parallelism: p,
        } = *self;
        if !(1..=limits::MAX_PARALLELISM).contains(&p) {
            return Err(Error::invalid_option(format!(
                "parallelism must be from 1 to {}",
                limits::MAX_PARALLELISM
            )));
        }
        if !(1..=limits::MAX_TIME_COST).contains(&t) {
            return Err(Error::invalid_option(format!(
                "timeCost must be from 1 to {}",
                limits::MAX_TIME_COST
            )));
        }
        if m < 8 * p || m > limits::MAX_MEMORY_COST {
            return Err(Error::invalid_option(format!(
                "memoryCost must be from 8 * parallelism ({}) to {} KiB",
                8 * p,
                limits::MAX_MEMORY_COST
            )));
        }
        Ok(())
    }
}

impl Default for HashOptions {
    fn default() -> Self {
        HashOptions::DEFAULT
    }
}

/// Checks a secret (pepper) option.
pub fn check_secret(secret: Option<&[u8]>) -> Result<()> {
    match secret {
        Some([]) => Err(Error::invalid_option("secret must not be empty")),
        Some(s) if s.len() > MAX_SECRET_BYTES => Err(Error::invalid_option(format!(
            "secret must be at most {MAX_SECRET_BYTES} bytes"
        ))),
        _ => Ok(()),
    }
}

/// Refuses empty and oversized passwords; every hash and verify starts here.
pub fn check_password(password: &[u8]) -> Result<()> {
    if password.is_empty() {
        return Err(Error::PasswordEmpty);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::PasswordTooLarge(MAX_PASSWORD_BYTES));
    }
    Ok(())
}

/// A new Argon2id PHC string for `password`, with a fresh 16-byte salt.
pub fn hash_password(
    password: &[u8],
    options: &HashOptions,
    secret: Option<&[u8]>,
) -> Result<String> {
    check_password(password)?;
    options.validate()?;
    check_secret(secret)?;
    Ok(Argon2Hash::create(password, options, secret)?.to_phc())
}

/// A stored hash, parsed and within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordHash {
    Argon2(Argon2Hash),
    Bcrypt(BcryptHash),
}

impl PasswordHash {
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_HASH_LENGTH {
            return Err(Error::hash_invalid(format!(
                "it is longer than {MAX_HASH_LENGTH} characters"
            )));
        }
        if text.is_empty() {
            return Err(Error::hash_invalid("it is empty"));
        }
        if text.starts_with("$2") {
            return BcryptHash::parse(text).map(PasswordHash::Bcrypt);
        }
        if text.starts_with("$argon2") {
            return Argon2Hash::parse(text).map(PasswordHash::Argon2);
        }
        match text
            .strip_prefix('$')
            .and_then(|rest| rest.split('$').next())
        {
            Some(id)
                if !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') =>
            {
                Err(Error::PasswordHashUnsupported(
                    format!("unknown algorithm {id:?}").into(),
                ))
            }
            _ => Err(Error::hash_invalid(
                "it is neither a PHC string (\"$argon2id$...\") nor a bcrypt hash (\"$2b$...\")",
            )),
        }
    }

    /// The checks that do not need the hash to be computed: empty, oversized, or (for bcrypt)
    /// longer than 72 bytes.
    pub fn check_password(&self, password: &[u8]) -> Result<()> {
        check_password(password)?;
        match self {
            PasswordHash::Argon2(_) => Ok(()),
            PasswordHash::Bcrypt(hash) => hash.check_password(password),
        }
    }

    /// Whether `password` matches. `secret` is the Argon2 pepper; bcrypt has none.
    pub fn verify(&self, password: &[u8], secret: Option<&[u8]>) -> Result<bool> {
        self.check_password(password)?;
        check_secret(secret)?;
        match self {
            PasswordHash::Argon2(hash) => hash.verify(password, secret),
            PasswordHash::Bcrypt(hash) => hash.verify(password),
        }
    }

    /// True for bcrypt, for Argon2i/Argon2d, for Argon2 version 0x10, and for Argon2id with
    /// less memory or fewer passes than `target` (or a salt or tag shorter than ferroauth's).
    /// Parallelism alone does not make a hash weaker.
    pub fn needs_rehash(&self, target: &HashOptions) -> bool {
        match self {
            PasswordHash::Bcrypt(_) => true,
            PasswordHash::Argon2(hash) => {
                hash.algorithm != Algorithm::Argon2id
                    || hash.version != Version::V0x13
                    || hash.memory_cost < target.memory_cost
                    || hash.time_cost < target.time_cost
                    || hash.salt.len() < argon::SALT_LEN
                    || hash.output.len() < argon::OUTPUT_LEN
            }
        }
    }
}

/// Parses `hash` and checks `password` against it.
pub fn verify_password(hash: &str, password: &[u8], secret: Option<&[u8]>) -> Result<bool> {
    PasswordHash::parse(hash)?.verify(password, secret)
}

/// Whether `hash` should be replaced by a new hash under `target` at the next login.
pub fn needs_rehash(hash: &str, target: &HashOptions) -> Result<bool> {
    target.validate()?;
    Ok(PasswordHash::parse(hash)?.needs_rehash(target))
}

/// The stand-in for a user that does not exist: an Argon2id hash with `options`' costs, a
/// fixed salt and a fixed tag. Verifying against it costs what verifying a real hash with
/// those costs does.
pub fn dummy_hash(options: &HashOptions) -> PasswordHash {
    PasswordHash::Argon2(Argon2Hash {
        algorithm: Algorithm::Argon2id,
        version: Version::V0x13,
        memory_cost: options.memory_cost,
        time_cost: options.time_cost,
        parallelism: options.parallelism,
        data: Vec::new(),
        salt: b"ferroauth-dummy!".to_vec(),
        output: vec![0u8; argon::OUTPUT_LEN],
    })
}

/// A login check with every check that needs no hashing done: what is left is the hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginCheck {
    /// The user exists: verify against their hash.
    Verify(PasswordHash),
    /// No user (or an answer that must not come faster than for no user): the dummy
    /// verification, then `false`, or the error given.
    Dummy(Option<Error>),
}

impl LoginCheck {
    /// Checks the password, `options` and `secret` the same way whether or not there is a
    /// hash, so that neither the outcome nor the time of these checks depends on whether
    /// the account exists. A stored hash that cannot be checked is an error at once (that
    /// is the server's data, not the caller's input).
    pub fn prepare(
        hash: Option<&str>,
        password: &[u8],
        options: &HashOptions,
        secret: Option<&[u8]>,
    ) -> Result<Self> {
        check_password(password)?;
        options.validate()?;
        check_secret(secret)?;
        let Some(text) = hash else {
            return Ok(LoginCheck::Dummy(None));
        };
        let hash = PasswordHash::parse(text)?;
        match hash.check_password(password) {
            Ok(()) => Ok(LoginCheck::Verify(hash)),
            // Refused only after the work an unknown user costs, so the time does not tell
            // that this account exists (with a bcrypt hash).
            Err(error @ Error::PasswordBcryptTooLong) => Ok(LoginCheck::Dummy(Some(error))),
            Err(error) => Err(error),
        }
    }

    pub fn run(
        &self,
        password: &[u8],
        options: &HashOptions,
        secret: Option<&[u8]>,
    ) -> Result<bool> {
        match self {
            LoginCheck::Verify(hash) => hash.verify(password, secret),
            LoginCheck::Dummy(then) => {
                verify_dummy(password, options, secret)?;
                then.clone().map_or(Ok(false), Err)
            }
        }
    }
}

/// `verify_password` for a user that exists, the dummy verification (and `false`) for one
/// that does not: the login check that does not tell which accounts exist.
pub fn verify_password_or_dummy(
    hash: Option<&str>,
    password: &[u8],
    options: &HashOptions,
    secret: Option<&[u8]>,
) -> Result<bool> {
    LoginCheck::prepare(hash, password, options, secret)?.run(password, options, secret)
}

/// Does the work of a verification against `dummy_hash(options)` and answers false, always.
pub fn verify_dummy(password: &[u8], options: &HashOptions, secret: Option<&[u8]>) -> Result<bool> {
    options.validate()?;
    dummy_hash(options).verify(password, secret)?;
    Ok(false)
}

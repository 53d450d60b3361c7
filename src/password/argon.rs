//! Argon2 (RFC 9106): the one compute function, and PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) read strictly and written canonically.

use std::cell::RefCell;

use argon2_rust::params::{Memory, TagLen};
pub use argon2_rust::{Algorithm, Version};
use argon2_rust::{Argon2, Hasher, Params};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::{limits, HashOptions};
use crate::error::{Error, Result};

/// Salt and output sizes of the hashes ferroauth writes (RFC 9106 §4: 128-bit salt,
/// 256-bit tag).
pub const SALT_LEN: usize = 16;
pub const OUTPUT_LEN: usize = 32;

/// What a stored hash may use (bytes). The salt bounds are RFC 9106's minimum and the PHC
/// string format's maximum; the output bounds are Argon2's minimum and the PHC maximum.
pub const MIN_SALT_LEN: usize = 8;
pub const MAX_SALT_LEN: usize = 48;
pub const MIN_OUTPUT_LEN: usize = 4;
pub const MAX_OUTPUT_LEN: usize = 64;
/// The longest associated data (the PHC `data` parameter) accepted, in bytes: what the
/// PHC string format allows.
pub const MAX_DATA_LEN: usize = 32;

/// Everything that determines an Argon2 computation except the password and the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argon2Hash {
    pub algorithm: Algorithm,
    pub version: Version,
    pub memory_cost: u32,
    pub time_cost: u32,
    pub parallelism: u32,
    /// Associated data (the PHC `data` parameter, RFC 9106's `X`).
    pub data: Vec<u8>,
    pub salt: Vec<u8>,
    pub output: Vec<u8>,
}

/// Inputs of one Argon2 computation.
pub struct Argon2Input<'a> {
    pub algorithm: Algorithm,
    pub version: Version,
    pub memory_cost: u32,
    pub time_cost: u32,
    pub parallelism: u32,
    pub password: &'a [u8],
    pub salt: &'a [u8],
    /// The secret key `K` of RFC 9106 (a server-side pepper).
    pub secret: Option<&'a [u8]>,
    /// The associated data `X` of RFC 9106.
    pub data: &'a [u8],
}

/// Runs Argon2 into `out` (whose length is the tag length). Hashing, verifying and the
/// dummy verification all come here. The memory is wiped before it is released or reused.
pub fn compute(input: &Argon2Input<'_>, out: &mut [u8]) -> Result<()> {
    if input.data.len() > MAX_DATA_LEN {
        return Err(data_too_long());
    }
    let tag_len = u64::try_from(out.len()).unwrap_or(u64::MAX);
    let params = Params::builder()
        .memory(Memory::kib(u64::from(input.memory_cost)))
        .passes(input.time_cost)
        .lanes(input.parallelism)
        // The lanes are computed one after the other on the calling thread (a libuv pool
        // thread): a hash never starts threads of its own.
        .threads(1)
        .tag_len(TagLen::bytes(tag_len))
        .build()
        .map_err(|e| Error::hash_invalid(format!("invalid Argon2 parameters ({e})")))?;
    let context = Argon2::new(input.algorithm, input.version, params);
    let secret = input.secret.unwrap_or_default();
    let mut hash = |hasher: &mut Hasher| {
        hasher.set_argon2(context);
        hasher.hash_into_with_ad(input.password, input.salt, secret, input.data, out)
    };
    let result = if params.memory_blocks() as usize <= REUSED_BLOCKS_MAX {
        HASHER.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => hash(slot.get_or_insert_with(|| context.hasher())),
            Err(_) => hash(&mut context.hasher()),
        })
    } else {
        hash(&mut context.hasher())
    };
    result.map_err(|e| Error::hash_invalid(format!("Argon2 refused its inputs ({e})")))
}

fn data_too_long() -> Error {
    Error::PasswordHashUnsupported(
        format!("associated data is longer than {MAX_DATA_LEN} bytes").into(),
    )
}

/// Memory up to this size (in 1 KiB blocks: 64 MiB) stays allocated on the thread that
/// used it, so the next hash on that thread skips the system calls and page faults of
/// fresh memory. Larger memory is allocated for one computation and freed.
const REUSED_BLOCKS_MAX: usize = 64 * 1024;

thread_local! {
    /// This thread's Argon2 memory. The crate (feature `zeroize-memory`) zeroes the blocks
    /// a hash used before they are kept for the next hash, and again before they are freed
    /// when the thread ends: left behind, the last blocks would let anyone who reads them
    /// test password guesses without paying the memory cost.
    static HASHER: RefCell<Option<Hasher>> = const { RefCell::new(None) };
}

impl Argon2Hash {
    /// A new salt from the OS CSPRNG and the tag of `password` under `options`.
    pub fn create(password: &[u8], options: &HashOptions, secret: Option<&[u8]>) -> Result<Self> {
        let mut salt = vec![0u8; SALT_LEN];
        crate::random::fill(&mut salt)?;
        let mut output = vec![0u8; OUTPUT_LEN];
        compute(
            &Argon2Input {
                algorithm: Algorithm::Argon2id,
                version: Version::V0x13,
                memory_cost: options.memory_cost,
                time_cost: options.time_cost,
                parallelism: options.parallelism,
                password,
                salt: &salt,
                secret,
                data: &[],
            },
            &mut output,
        )?;
        Ok(Argon2Hash {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            memory_cost: options.memory_cost,
            time_cost: options.time_cost,
            parallelism: options.parallelism,
            data: Vec::new(),
            salt,
            output,
        })
    }

    /// Recomputes the tag for `password` and compares it in constant time.
    pub fn verify(&self, password: &[u8], secret: Option<&[u8]>) -> Result<bool> {
        let mut tag = vec![0u8; self.output.len()];
        compute(
            &Argon2Input {
                algorithm: self.algorithm,
                version: self.version,
                memory_cost: self.memory_cost,
                time_cost: self.time_cost,
                parallelism: self.parallelism,
                password,
                salt: &self.salt,
                secret,
                data: &self.data,
            },
            &mut tag,
        )?;
        let equal = bool::from(tag.ct_eq(&self.output));
        tag.zeroize();
        Ok(equal)
    }

    /// Parses a PHC string. Only the forms the Argon2 reference implementation writes are
    /// accepted (plus the optional `data` parameter): anything else is an error, never a guess.
    pub fn parse(text: &str) -> Result<Self> {
        let mut fields = text.split('$');
        if fields.next() != Some("") {
            return Err(Error::hash_invalid("it does not start with \"$\""));
        }
        let algorithm = match fields.next() {
            Some("argon2id") => Algorithm::Argon2id,
            Some("argon2i") => Algorithm::Argon2i,
            Some("argon2d") => Algorithm::Argon2d,
            Some(other) => {
                return Err(Error::PasswordHashUnsupported(
                    format!("unknown algorithm {other:?}").into(),
                ))
            }
            None => return Err(Error::hash_invalid("it has no algorithm")),
        };
        let mut field = fields.next();
        // The reference implementation writes `v=19`; a hash without one is version 0x10.
        let version = match field.and_then(|f| f.strip_prefix("v=")) {
            Some(v) => {
                field = fields.next();
                match decimal(v, "v")? {
                    0x13 => Version::V0x13,
                    0x10 => Version::V0x10,
                    other => {
                        return Err(Error::PasswordHashUnsupported(
                            format!("Argon2 version {other} (only 16 and 19 exist)").into(),
                        ))
                    }
                }
            }
            None => Version::V0x10,
        };
        let params = field.ok_or_else(|| Error::hash_invalid("it has no parameters"))?;
        let salt = fields
            .next()
            .ok_or_else(|| Error::hash_invalid("it has no salt"))?;
        let output = fields
            .next()
            .ok_or_else(|| Error::hash_invalid("it has no hash"))?;
        if fields.next().is_some() {
            return Err(Error::hash_invalid(
                "it has too many \"$\"-separated fields",
            ));
        }

        // The reference implementation writes m, t, p in that order; node-argon2 writes them
        // alphabetically (m, p, t). Any order is read, each parameter exactly once.
        let (mut memory_cost, mut time_cost, mut parallelism) = (None, None, None);
        let mut data = None;
        for param in params.split(',') {
            let (name, value) = param.split_once('=').ok_or_else(|| {
                Error::hash_invalid(format!("parameter {param:?} is not name=value"))
            })?;
            let slot = match name {
                "m" => &mut memory_cost,
                "t" => &mut time_cost,
                "p" => &mut parallelism,
                "data" => {
                    if data.is_some() {
                        return Err(Error::hash_invalid("\"data\" appears twice"));
                    }
                    let bytes = b64(value, "data")?;
                    if bytes.is_empty() {
                        return Err(Error::hash_invalid("\"data\" is empty"));
                    }
                    data = Some(bytes);
                    continue;
                }
                "keyid" => {
                    return Err(Error::PasswordHashUnsupported(
                        "the \"keyid\" parameter (pass the secret itself)".into(),
                    ))
                }
                other => return Err(Error::hash_invalid(format!("unknown parameter {other:?}"))),
            };
            if slot.is_some() {
                return Err(Error::hash_invalid(format!("{name:?} appears twice")));
            }
            *slot = Some(decimal(value, name)?);
        }
        let missing = |name: &str| {
            Error::hash_invalid(format!(
                "parameters must include m=<KiB>, t=<passes> and p=<lanes> (missing {name:?})"
            ))
        };
        let memory_cost = memory_cost.ok_or_else(|| missing("m"))?;
        let time_cost = time_cost.ok_or_else(|| missing("t"))?;
        let parallelism = parallelism.ok_or_else(|| missing("p"))?;
        let data = data.unwrap_or_default();

        let salt = b64(salt, "salt")?;
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
            return Err(Error::hash_invalid(format!(
                "the salt is {} bytes; {MIN_SALT_LEN} to {MAX_SALT_LEN} are accepted",
                salt.len()
            )));
        }
        let output = b64(output, "hash")?;
        if !(MIN_OUTPUT_LEN..=MAX_OUTPUT_LEN).contains(&output.len()) {
            return Err(Error::hash_invalid(format!(
                "the hash is {} bytes; {MIN_OUTPUT_LEN} to {MAX_OUTPUT_LEN} are accepted",
                output.len()
            )));
        }
        if data.len() > MAX_DATA_LEN {
            return Err(data_too_long());
        }

        let hash = Argon2Hash {
            algorithm,
            version,
            memory_cost,
            time_cost,
            parallelism,
            data,
            salt,
            output,
        };
        hash.check_parameters()?;
        Ok(hash)
    }

    /// Refuses parameters Argon2 itself rejects (an error) and those above ferroauth's
    /// limits (too costly to run on request).
    fn check_parameters(&self) -> Result<()> {
        let (m, t, p) = (self.memory_cost, self.time_cost, self.parallelism);
        if t < 1 || p < 1 || u64::from(m) < 8 * u64::from(p) {
            return Err(Error::hash_invalid(format!(
                "Argon2 needs t >= 1, p >= 1 and m >= 8 * p (got m={m}, t={t}, p={p})"
            )));
        }
        let over = |name: &str, value: u32, limit: u32| {
            Error::PasswordHashTooCostly(
                format!("{name}={value} is above the limit of {limit}").into(),
            )
        };
        if m > limits::MAX_MEMORY_COST {
            return Err(over("m", m, limits::MAX_MEMORY_COST));
        }
        if t > limits::MAX_TIME_COST {
            return Err(over("t", t, limits::MAX_TIME_COST));
        }
        if p > limits::MAX_PARALLELISM {
            return Err(over("p", p, limits::MAX_PARALLELISM));
        }
        Ok(())
    }

    /// The canonical PHC string, as the reference implementation writes it.
    pub fn to_phc(&self) -> String {
        let name = match self.algorithm {
            Algorithm::Argon2d => "argon2d",
            Algorithm::Argon2i => "argon2i",
            Algorithm::Argon2id => "argon2id",
        };
        let mut text = format!(
            "${name}$v={}$m={},t={},p={}",
            self.version.as_u32(),
            self.memory_cost,
            self.time_cost,
            self.parallelism
        );
        if !self.data.is_empty() {
            text.push_str(",data=");
            STANDARD_NO_PAD.encode_string(&self.data, &mut text);
        }
        text.push('$');
        STANDARD_NO_PAD.encode_string(&self.salt, &mut text);
        text.push('$');
        STANDARD_NO_PAD.encode_string(&self.output, &mut text);
        text
    }
}

/// A PHC decimal: digits only, no sign, no leading zero, fits in 32 bits.
fn decimal(text: &str, name: &str) -> Result<u32> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .ok_or_else(|| Error::hash_invalid(format!("{name}={text:?} is not a valid number")))
}

/// PHC "B64": standard alphabet, no padding, no stray bits.
fn b64(text: &str, name: &str) -> Result<Vec<u8>> {
    STANDARD_NO_PAD
        .decode(text)
        .map_err(|_| Error::hash_invalid(format!("the {name} is not valid base64")))
}

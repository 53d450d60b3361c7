//! Bindings for `crate::password`. Hashing and verifying run as `Task`s on the libuv thread
//! pool; their promises resolve with the value or a `Failure` (`{ code, message }`), which
//! the JS layer turns into a rejected `FerroAuthError`. Checks that need no hashing (types,
//! options, hash syntax, password size) answer on the spot, without queueing any work.

// napi-derive registers free functions only outside test builds, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{AbortSignal, AsyncTask, Buffer, Either};
use napi::{Env, Task};
use napi_derive::napi;
use zeroize::Zeroizing;

use super::jwt::Failure;
use super::text::Utf8Text;
use crate::error::Error;
use crate::password::{self, HashOptions, LoginCheck, PasswordHash, Policy};

fn failure(error: Error) -> Failure {
    Failure {
        code: error.code().to_owned(),
        message: error.to_string(),
        claim: None,
    }
}

fn outcome<T>(result: crate::Result<T>) -> Either<T, Failure> {
    match result {
        Ok(value) => Either::A(value),
        Err(error) => Either::B(failure(error)),
    }
}

/// A JS number (already checked to be an integer) as a count; values outside the type's
/// range become its ends, which the core's range checks then refuse.
fn count_u32(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}

fn count_usize(value: f64) -> usize {
    value.clamp(0.0, u32::MAX as f64) as usize
}

type Secret = Option<Zeroizing<Vec<u8>>>;

fn secret(value: Option<Either<String, Buffer>>) -> Secret {
    value.map(|v| {
        Zeroizing::new(match v {
            Either::A(text) => text.into_bytes(),
            Either::B(bytes) => bytes.to_vec(),
        })
    })
}

fn password_bytes(text: Utf8Text) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(text.0.into_bytes())
}

/// `hashPassword` options as the JS layer passes them (integers checked there).
#[napi(object)]
pub struct PasswordHashConfig {
    pub memory_cost: Option<f64>,
    pub time_cost: Option<f64>,
    pub parallelism: Option<f64>,
    pub secret: Option<Either<String, Buffer>>,
}

fn hash_options(config: &PasswordHashConfig) -> HashOptions {
    let defaults = HashOptions::DEFAULT;
    HashOptions {
        memory_cost: config.memory_cost.map_or(defaults.memory_cost, count_u32),
        time_cost: config.time_cost.map_or(defaults.time_cost, count_u32),
        parallelism: config.parallelism.map_or(defaults.parallelism, count_u32),
    }
}

/// The work a pool thread does; every variant ends in the core's one Argon2 compute.
enum Job {
    Hash {
        password: Zeroizing<Vec<u8>>,
        options: HashOptions,
        secret: Secret,
    },
    Verify {
        hash: PasswordHash,
        password: Zeroizing<Vec<u8>>,
        secret: Secret,
    },
    Login {
        check: LoginCheck,
        password: Zeroizing<Vec<u8>>,
        options: HashOptions,
        secret: Secret,
    },
}

impl Job {
    fn run(&self) -> crate::Result<Either<String, bool>> {
        match self {
            Job::Hash {
                password,
                options,
                secret,
            } => password::hash_password(password, options, secret.as_deref().map(|s| &s[..]))
                .map(Either::A),
            Job::Verify {
                hash,
                password,
                secret,
            } => hash
                .verify(password, secret.as_deref().map(|s| &s[..]))
                .map(Either::B),
            Job::Login {
                check,
                password,
                options,
                secret,
            } => check
                .run(password, options, secret.as_deref().map(|s| &s[..]))
                .map(Either::B),
        }
    }
}

pub struct PasswordTask(Job);

impl Task for PasswordTask {
    type Output = crate::Result<Either<String, bool>>;
    type JsValue = Either<Either<String, bool>, Failure>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.0.run())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(outcome(output))
    }
}

type Queued = Either<AsyncTask<PasswordTask>, Failure>;

/// Queues `job` on the libuv pool after the checks that need no hashing; a failed check
/// is returned at once instead of a promise.
fn queue(job: crate::Result<Job>, signal: Option<AbortSignal>) -> Queued {
    match job {
        Ok(job) => Either::A(AsyncTask::with_optional_signal(PasswordTask(job), signal)),
        Err(error) => Either::B(failure(error)),
    }
}

/// Starts hashing `password` into an Argon2id PHC string. Returns a promise of
/// `string | Failure`, or a `Failure` straight away for a bad password or option.
#[napi(
    ts_args_type = "password: string, config: PasswordHashConfig, signal?: AbortSignal",
    ts_return_type = "Promise<string | Failure> | Failure"
)]
pub fn hash_password_task(
    password: Utf8Text,
    config: PasswordHashConfig,
    signal: Option<AbortSignal>,
) -> Queued {
    let password = password_bytes(password);
    let options = hash_options(&config);
    let secret = secret(config.secret);
    let checked = password::check_password(&password)
        .and_then(|()| options.validate())
        .and_then(|()| password::check_secret(secret.as_deref().map(|s| &s[..])));
    queue(
        checked.map(|()| Job::Hash {
            password,
            options,
            secret,
        }),
        signal,
    )
}

/// The same hashing on the calling thread, for scripts.
#[napi(ts_args_type = "password: string, config: PasswordHashConfig")]
pub fn hash_password_sync(
    password: Utf8Text,
    config: PasswordHashConfig,
) -> Either<String, Failure> {
    let password = password_bytes(password);
    let options = hash_options(&config);
    let secret = secret(config.secret);
    outcome(password::hash_password(
        &password,
        &options,
        secret.as_deref().map(|s| &s[..]),
    ))
}

/// Starts checking `password` against a stored hash. Returns a promise of
/// `boolean | Failure`, or a `Failure` straight away for a malformed, unsupported or
/// too costly hash, or a password that cannot be checked (empty, too large, too long for
/// bcrypt).
#[napi(
    ts_args_type = "hash: string, password: string, secret?: string | Buffer, signal?: AbortSignal",
    ts_return_type = "Promise<boolean | Failure> | Failure"
)]
pub fn verify_password_task(
    hash: Utf8Text,
    password: Utf8Text,
    secret_value: Option<Either<String, Buffer>>,
    signal: Option<AbortSignal>,
) -> Queued {
    let password = password_bytes(password);
    let secret = secret(secret_value);
    let job = PasswordHash::parse(&hash.0).and_then(|hash| {
        hash.check_password(&password)?;
        password::check_secret(secret.as_deref().map(|s| &s[..]))?;
        Ok(Job::Verify {
            hash,
            password,
            secret,
        })
    });
    queue(job, signal)
}

/// Starts a login check: `hash` verified, or for no hash (no such user) the dummy
/// verification for `config`'s costs, resolving `false`. The checks that need no hashing are
/// the same either way.
#[napi(
    ts_args_type = "hash: string | undefined, password: string, config: PasswordHashConfig, signal?: AbortSignal",
    ts_return_type = "Promise<boolean | Failure> | Failure"
)]
pub fn verify_password_or_dummy_task(
    hash: Option<Utf8Text>,
    password: Utf8Text,
    config: PasswordHashConfig,
    signal: Option<AbortSignal>,
) -> Queued {
    let password = password_bytes(password);
    let options = hash_options(&config);
    let secret = secret(config.secret);
    let check = LoginCheck::prepare(
        hash.as_ref().map(|h| h.0.as_str()),
        &password,
        &options,
        secret.as_deref().map(|s| &s[..]),
    );
    queue(
        check.map(|check| Job::Login {
            check,
            password,
            options,
            secret,
        }),
        signal,
    )
}

/// Whether `hash` is weaker than `config`'s costs (or bcrypt). Parses only.
#[napi(ts_args_type = "hash: string, config: PasswordHashConfig")]
pub fn password_needs_rehash(hash: Utf8Text, config: PasswordHashConfig) -> Either<bool, Failure> {
    outcome(password::needs_rehash(&hash.0, &hash_options(&config)))
}

/// Password policy options (integers checked by the JS layer).
#[napi(object)]
pub struct PasswordPolicyConfig {
    pub min_length: Option<f64>,
    pub max_length: Option<f64>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_digit: Option<bool>,
    pub require_symbol: Option<bool>,
}

/// One broken rule.
#[napi(object)]
pub struct PasswordPolicyViolation {
    pub code: String,
    pub message: String,
}

/// Every broken rule, and the whole policy in one sentence when any is broken.
#[napi(object)]
pub struct PasswordPolicyReport {
    pub ok: bool,
    pub errors: Vec<PasswordPolicyViolation>,
    pub message: Option<String>,
}

#[napi(ts_args_type = "password: string, config: PasswordPolicyConfig")]
pub fn check_password_policy(
    password: Utf8Text,
    config: PasswordPolicyConfig,
) -> Either<PasswordPolicyReport, Failure> {
    let defaults = Policy::default();
    let policy = Policy {
        min_length: config.min_length.map_or(defaults.min_length, count_usize),
        max_length: config.max_length.map(count_usize),
        require_uppercase: config
            .require_uppercase
            .unwrap_or(defaults.require_uppercase),
        require_lowercase: config
            .require_lowercase
            .unwrap_or(defaults.require_lowercase),
        require_digit: config.require_digit.unwrap_or(defaults.require_digit),
        require_symbol: config.require_symbol.unwrap_or(defaults.require_symbol),
    };
    outcome(policy.check(&password.0).map(|report| {
        PasswordPolicyReport {
            ok: report.ok(),
            errors: report
                .errors
                .into_iter()
                .map(|error| PasswordPolicyViolation {
                    code: error.code().to_owned(),
                    message: error.to_string(),
                })
                .collect(),
            message: report.message,
        }
    }))
}

/// The longest password, in UTF-8 bytes; the JS layer cuts longer strings before copying.
#[napi]
pub const MAX_PASSWORD_BYTES: u32 = password::MAX_PASSWORD_BYTES as u32;
/// The longest stored hash, in characters; the same.
#[napi]
pub const MAX_PASSWORD_HASH_LENGTH: u32 = password::MAX_HASH_LENGTH as u32;

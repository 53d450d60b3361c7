use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::{Buffer, Either, Function};
use napi::Env;
use napi_derive::napi;

use super::error::{seconds, to_js, Result};
use super::text::{OutText, Utf8Text};
use crate::error::Error;
use crate::jwt::{
    signer::DEFAULT_EXPIRES_IN, Algorithm, ClaimsPolicy, KeySource, PrivateKey, PublicKey, Signer,
    SignerOptions, Verifier, VerifierOptions, DEFAULT_MAX_TOKEN_LENGTH,
};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn bytes(value: &Either<String, Buffer>) -> &[u8] {
    match value {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b,
    }
}

fn algorithm(name: &str) -> crate::Result<Algorithm> {
    Algorithm::from_name(name).ok_or_else(|| {
        Error::AlgUnsupported(
            if name.eq_ignore_ascii_case("none") {
                "algorithm \"none\" is never accepted".to_owned()
            } else {
                format!("algorithm {name:?} is not supported")
            }
            .into(),
        )
    })
}

/// Options as the JS layer normalizes them (JWKs arrive as JSON text).
#[napi(object)]
pub struct SignerConfig {
    pub algorithm: Option<String>,
    pub secret: Option<Either<String, Buffer>>,
    pub private_key_pem: Option<Either<String, Buffer>>,
    pub private_key_jwk: Option<String>,
    pub kid: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<Vec<String>>,
    pub expires_in: Option<Either<f64, String>>,
    pub not_before: Option<Either<f64, String>>,
}

#[napi]
pub struct NativeTokenSigner {
    inner: Rc<Signer>,
}

#[napi]
impl NativeTokenSigner {
    #[napi(constructor)]
    pub fn new(config: SignerConfig) -> Result<Self> {
        let source = match (
            &config.secret,
            &config.private_key_pem,
            &config.private_key_jwk,
        ) {
            (Some(secret), None, None) => KeySource::Secret(bytes(secret)),
            (None, Some(pem), None) => KeySource::Pem(bytes(pem)),
            (None, None, Some(jwk)) => KeySource::Jwk(jwk),
            _ => {
                return Err(to_js(Error::invalid_option(
                    "set exactly one of `secret` or `privateKey`",
                )))
            }
        };
        let options = SignerOptions {
            key: PrivateKey::parse(source).map_err(to_js)?,
            algorithm: config
                .algorithm
                .as_deref()
                .map(algorithm)
                .transpose()
                .map_err(to_js)?,
            kid: config.kid,
            issuer: config.issuer,
            audience: config.audience.unwrap_or_default(),
            expires_in: seconds(&config.expires_in, "expiresIn")?.unwrap_or(DEFAULT_EXPIRES_IN),
            not_before: seconds(&config.not_before, "notBefore")?,
        };
        Ok(NativeTokenSigner {
            inner: Rc::new(Signer::new(options).map_err(to_js)?),
        })
    }

    #[napi(getter)]
    pub fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    #[napi(getter)]
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        self.inner
            .warnings()
            .iter()
            .map(ConfigWarning::from)
            .collect()
    }

    /// A function `(claimsJson) => token | failure` bound to this signer. Calling a plain
    /// function skips the per-call `this` unwrapping of a class method, the larger part of
    /// the boundary's cost; failures are returned, not thrown, for the same reason.
    #[napi(ts_return_type = "(claimsJson: string) => string | Failure")]
    pub fn sign_function<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Function<'env, String, Either<String, Failure>>> {
        let signer = Rc::clone(&self.inner);
        env.create_function_from_closure("sign", move |ctx| {
            let Utf8Text(claims) = ctx.get::<Utf8Text>(0)?;
            Ok(match signer.sign(&claims, now()) {
                Ok(token) => Either::A(token),
                Err(error) => Either::B(failure(error)),
            })
        })
    }
}

#[napi(object)]
pub struct VerifierConfig {
    pub secret: Option<Either<String, Buffer>>,
    pub public_key_pem: Option<Either<String, Buffer>>,
    pub public_key_jwk: Option<String>,
    pub jwks: Option<String>,
    pub algorithms: Option<Vec<String>>,
    pub issuer: Option<Vec<String>>,
    pub audience: Option<Vec<String>>,
    pub clock_tolerance: Option<Either<f64, String>>,
    pub max_token_age: Option<Either<f64, String>>,
    pub required_claims: Option<Vec<String>>,
    pub require_expiration: Option<bool>,
    pub max_token_length: Option<u32>,
}

/// Advice about the configuration, for `process.emitWarning`.
#[napi(object)]
pub struct ConfigWarning {
    pub code: String,
    pub message: String,
}

impl From<&crate::error::Warning> for ConfigWarning {
    fn from(warning: &crate::error::Warning) -> Self {
        ConfigWarning {
            code: warning.code.to_owned(),
            message: warning.message.clone(),
        }
    }
}

/// Why a token was refused, or claims could not be signed.
#[napi(object)]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub claim: Option<String>,
}

/// A verified payload with the moment (seconds) it stops being valid, for caching.
#[napi(object)]
pub struct VerifiedToken {
    pub payload: String,
    pub valid_until: Option<f64>,
}

fn failure(error: Error) -> Failure {
    Failure {
        code: error.code().to_owned(),
        claim: error.claim().map(str::to_owned),
        message: error.to_string(),
    }
}

#[napi]
pub struct NativeTokenVerifier {
    inner: Rc<Verifier>,
}

#[napi]
impl NativeTokenVerifier {
    #[napi(constructor)]
    pub fn new(config: VerifierConfig) -> Result<Self> {
        let keys = match (
            &config.secret,
            &config.public_key_pem,
            &config.public_key_jwk,
            &config.jwks,
        ) {
            (Some(secret), None, None, None) => {
                vec![PublicKey::parse(KeySource::Secret(bytes(secret)))]
            }
            (None, Some(pem), None, None) => vec![PublicKey::parse(KeySource::Pem(bytes(pem)))],
            (None, None, Some(jwk), None) => vec![PublicKey::parse(KeySource::Jwk(jwk))],
            (None, None, None, Some(set)) => PublicKey::parse_set(set)
                .map_or_else(|e| vec![Err(e)], |k| k.into_iter().map(Ok).collect()),
            _ => vec![Err(Error::invalid_option(
                "set exactly one of `secret`, `publicKey` or `jwks`",
            ))],
        }
        .into_iter()
        .collect::<crate::Result<Vec<_>>>()
        .map_err(to_js)?;
        let algorithms = config
            .algorithms
            .map(|names| {
                names
                    .iter()
                    .map(|name| algorithm(name))
                    .collect::<crate::Result<Vec<_>>>()
            })
            .transpose()
            .map_err(to_js)?;
        let max_token_length = match config.max_token_length {
            Some(0) => {
                return Err(to_js(Error::invalid_option(
                    "maxTokenLength must be positive",
                )))
            }
            Some(n) => n as usize,
            None => DEFAULT_MAX_TOKEN_LENGTH,
        };
        let policy = ClaimsPolicy {
            require_expiration: config.require_expiration.unwrap_or(true),
            clock_tolerance: seconds(&config.clock_tolerance, "clockTolerance")?.unwrap_or(0.0),
            max_token_age: seconds(&config.max_token_age, "maxTokenAge")?,
            issuers: config.issuer.unwrap_or_default(),
            audiences: config.audience.unwrap_or_default(),
            required_claims: config.required_claims.unwrap_or_default(),
        };
        let inner = Verifier::new(VerifierOptions {
            keys,
            algorithms,
            policy,
            max_token_length,
        })
        .map_err(to_js)?;
        Ok(NativeTokenVerifier {
            inner: Rc::new(inner),
        })
    }

    #[napi(getter)]
    pub fn warnings(&self) -> Vec<ConfigWarning> {
        self.inner
            .warnings()
            .iter()
            .map(ConfigWarning::from)
            .collect()
    }

    /// A function `(token) => payloadJson | failure` bound to this verifier (see
    /// `NativeTokenSigner::sign_function` for why a bound function).
    #[napi(ts_return_type = "(token: string) => string | Failure")]
    pub fn verify_function<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Function<'env, String, Either<OutText, Failure>>> {
        let verifier = Rc::clone(&self.inner);
        env.create_function_from_closure("verify", move |ctx| {
            let Utf8Text(token) = ctx.get::<Utf8Text>(0)?;
            Ok(match verifier.verify(&token, now()) {
                Ok(verified) => Either::A(OutText(verified.payload)),
                Err(error) => Either::B(failure(error)),
            })
        })
    }

    /// Like `verify_function`, with the time the result stops holding (for the result cache).
    #[napi(ts_return_type = "(token: string) => VerifiedToken | Failure")]
    pub fn verify_with_expiry_function<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Function<'env, String, Either<VerifiedToken, Failure>>> {
        let verifier = Rc::clone(&self.inner);
        env.create_function_from_closure("verifyWithExpiry", move |ctx| {
            let Utf8Text(token) = ctx.get::<Utf8Text>(0)?;
            Ok(match verifier.verify(&token, now()) {
                Ok(verified) => Either::A(VerifiedToken {
                    payload: verified.payload,
                    valid_until: verified.valid_until,
                }),
                Err(error) => Either::B(failure(error)),
            })
        })
    }
}

//! Token signing. The header, its encoding and the configured claims are prepared
//! once; each call adds the caller's claims, the times and a fresh `jti`.

use std::fmt::Write as _;
use std::sync::Mutex;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::{hmac, signature};

use super::algorithm::{Algorithm, KeyFamily};
use super::claims::{numeric_date, Registered};
use super::compact;
use super::key::{PrivateKey, PrivateMaterial};
use super::verifier::short_secret_warning;
use crate::error::{Error, Result, Warning};

/// Access tokens are typed as such (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
pub const DEFAULT_EXPIRES_IN: f64 = 15.0 * 60.0;

pub struct SignerOptions {
    pub key: PrivateKey,
    pub algorithm: Option<Algorithm>,
    pub kid: Option<String>,
    pub issuer: Option<String>,
    pub audience: Vec<String>,
    pub expires_in: f64,
    pub not_before: Option<f64>,
}

// The HMAC key holds its precomputed pads inline; there are only a few of these per
// signer or verifier, and keeping them unboxed saves a pointer chase per token.
#[allow(clippy::large_enum_variant)]
enum SigningKey {
    Hmac(hmac::Key),
    Rsa(signature::RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ec(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

pub struct Signer {
    algorithm: Algorithm,
    key: SigningKey,
    /// `base64url(header) + "."`, identical for every token.
    header_prefix: String,
    /// `,"iss":...` and `,"aud":...`, already JSON-encoded.
    issuer_json: Option<String>,
    audience_json: Option<String>,
    expires_in: f64,
    not_before: Option<f64>,
    rng: SystemRandom,
    token_ids: TokenIds,
    warnings: Vec<Warning>,
}

impl Signer {
    pub fn new(options: SignerOptions) -> Result<Signer> {
        let key = options.key;
        let algorithm = choose_algorithm(options.algorithm, key.algorithm, key.family)?;
        let mut warnings = Vec::new();
        let signing_key = match key.material {
            PrivateMaterial::Secret(secret) => {
                if secret.len() < algorithm.min_hmac_secret_len() {
                    warnings.push(short_secret_warning(secret.len(), algorithm));
                }
                let hmac_alg = algorithm.hmac().ok_or_else(|| mismatch(algorithm))?;
                SigningKey::Hmac(hmac::Key::new(hmac_alg, &secret))
            }
            PrivateMaterial::Rsa(pair) => SigningKey::Rsa(
                pair,
                algorithm.rsa_signing().ok_or_else(|| mismatch(algorithm))?,
            ),
            PrivateMaterial::Ec(pair) => SigningKey::Ec(pair),
            PrivateMaterial::Ed25519(pair) => SigningKey::Ed25519(pair),
        };

        let mut header = serde_json::Map::new();
        header.insert("alg".into(), algorithm.name().into());
        header.insert("typ".into(), ACCESS_TOKEN_TYPE.into());
        if let Some(kid) = options.kid.or(key.kid) {
            header.insert("kid".into(), kid.into());
        }
        let header_json = serde_json::Value::Object(header).to_string();

        let audience_json = match options.audience.as_slice() {
            [] => None,
            [one] => Some(serde_json::Value::from(one.as_str()).to_string()),
            many => Some(serde_json::Value::from(many.to_vec()).to_string()),
        };
        Ok(Signer {
            algorithm,
            key: signing_key,
            header_prefix: format!("{}.", compact::encode(header_json.as_bytes())),
            issuer_json: options
                .issuer
                .map(|iss| serde_json::Value::from(iss).to_string()),
            audience_json,
            expires_in: options.expires_in,
            not_before: options.not_before,
            rng: SystemRandom::new(),
            token_ids: TokenIds::default(),
            warnings,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Signs `claims` (JSON object text) at time `now` (seconds since the epoch).
    /// Claims the caller sets win over the configured ones.
    pub fn sign(&self, claims: &str, now: f64) -> Result<String> {
        let body = claims.trim();
        if !body.starts_with('{') || !body.ends_with('}') {
            return Err(Error::JwtClaimsInvalid(
                "claims must be a JSON object".into(),
            ));
        }
        let given = Registered::parse(body, "claims must be a JSON object").map_err(|_| {
            Error::JwtClaimsInvalid(
                "claims must be a valid JSON object without duplicate registered claims".into(),
            )
        })?;
        for (raw, name) in [(given.exp, "exp"), (given.nbf, "nbf"), (given.iat, "iat")] {
            if let Some(raw) = raw {
                numeric_date(raw, name).map_err(|_| {
                    Error::JwtClaimsInvalid(
                        format!("\"{name}\" must be a number of seconds").into(),
                    )
                })?;
            }
        }

        let iat = now.floor();
        let mut payload = String::with_capacity(body.len() + 128);
        payload.push_str(&body[..body.len() - 1]);
        let mut first = body[1..body.len() - 1].trim().is_empty();
        let mut add = |name: &str, value: &dyn std::fmt::Display| {
            let sep = if first { "" } else { "," };
            first = false;
            let _ = write!(payload, "{sep}\"{name}\":{value}");
        };
        if given.iat.is_none() {
            add("iat", &iat);
        }
        if given.exp.is_none() {
            add("exp", &(now + self.expires_in).floor());
        }
        if let (None, Some(nbf)) = (given.nbf, self.not_before) {
            add("nbf", &(now + nbf).floor());
        }
        if given.jti.is_none() {
            let id = self.token_ids.next(&self.rng)?;
            add("jti", &format_args!("\"{}\"", compact::encode(&id)));
        }
        if let (None, Some(iss)) = (given.iss, &self.issuer_json) {
            add("iss", iss);
        }
        if let (None, Some(aud)) = (given.aud, &self.audience_json) {
            add("aud", aud);
        }
        payload.push('}');

        let mut token =
            String::with_capacity(self.header_prefix.len() + payload.len() * 4 / 3 + 360);
        token.push_str(&self.header_prefix);
        token.push_str(&compact::encode(payload.as_bytes()));
        let signature = self.signature(token.as_bytes())?;
        token.push('.');
        token.push_str(&compact::encode(&signature));
        Ok(token)
    }

    pub(crate) fn signature(&self, message: &[u8]) -> Result<Vec<u8>> {
        let failed = |_| Error::key_invalid("signing failed");
        Ok(match &self.key {
            SigningKey::Hmac(key) => hmac::sign(key, message).as_ref().to_vec(),
            SigningKey::Rsa(pair, encoding) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(*encoding, &self.rng, message, &mut out)
                    .map_err(failed)?;
                out
            }
            SigningKey::Ec(pair) => pair
                .sign(&self.rng, message)
                .map_err(failed)?
                .as_ref()
                .to_vec(),
            SigningKey::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
        })
    }
}

const TOKEN_ID_LEN: usize = 16;
const TOKEN_IDS_PER_DRAW: usize = 64;

/// Random `jti` values, drawn from the CSPRNG a batch at a time: one draw costs about as
/// much as signing a whole HMAC token, and a `jti` only has to be unique and unguessable.
#[derive(Default)]
struct TokenIds {
    pool: Mutex<(Vec<u8>, usize)>,
}

impl TokenIds {
    fn next(&self, rng: &SystemRandom) -> Result<[u8; TOKEN_ID_LEN]> {
        let mut guard = self
            .pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (bytes, used) = &mut *guard;
        if *used == bytes.len() {
            bytes.resize(TOKEN_ID_LEN * TOKEN_IDS_PER_DRAW, 0);
            rng.fill(bytes)
                .map_err(|_| Error::JwtClaimsInvalid("random source failed".into()))?;
            *used = 0;
        }
        let mut id = [0u8; TOKEN_ID_LEN];
        id.copy_from_slice(&bytes[*used..*used + TOKEN_ID_LEN]);
        // Handed-out ids do not stay in memory.
        bytes[*used..*used + TOKEN_ID_LEN].fill(0);
        *used += TOKEN_ID_LEN;
        Ok(id)
    }
}

fn mismatch(algorithm: Algorithm) -> Error {
    Error::AlgUnsupported(format!("{} does not fit the configured key", algorithm.name()).into())
}

fn choose_algorithm(
    requested: Option<Algorithm>,
    pinned: Option<Algorithm>,
    family: KeyFamily,
) -> Result<Algorithm> {
    let algorithm = requested.or(pinned).unwrap_or(family.default_algorithm());
    if algorithm.family() != family {
        return Err(mismatch(algorithm));
    }
    if let (Some(requested), Some(pinned)) = (requested, pinned) {
        if requested != pinned {
            return Err(Error::AlgUnsupported(
                format!(
                    "the JWK is pinned to {} but {} was requested",
                    pinned.name(),
                    requested.name()
                )
                .into(),
            ));
        }
    }
    Ok(algorithm)
}

//! Token verification: keys are bound to their algorithms once, at construction; each
//! token then costs one split, two base64 decodes, one signature check and one claims pass.

use std::sync::{Arc, Mutex};

use aws_lc_rs::hmac;
use aws_lc_rs::signature::ParsedPublicKey;

use super::algorithm::{Algorithm, KeyFamily};
use super::claims::{ClaimsPolicy, ValidUntil};
use super::compact;
use super::key::{PublicKey, PublicMaterial};
use crate::error::{Error, Result, Warning};

/// Tokens longer than this are refused before any parsing.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 16 * 1024;

pub struct VerifierOptions {
    pub keys: Vec<PublicKey>,
    /// Allow-list; `None` means "whatever the keys support".
    pub algorithms: Option<Vec<Algorithm>>,
    pub policy: ClaimsPolicy,
    pub max_token_length: usize,
}

/// A verified token.
#[derive(Debug)]
pub struct Verified {
    /// The payload's JSON text, exactly as signed.
    pub payload: String,
    /// When the token stops being valid under the verifier's policy (seconds).
    pub valid_until: ValidUntil,
}

// The HMAC key holds its precomputed pads inline; there are only a few of these per
// signer or verifier, and keeping them unboxed saves a pointer chase per token.
#[allow(clippy::large_enum_variant)]
enum Check {
    Hmac(hmac::Key),
    Public(ParsedPublicKey),
}

struct BoundKey {
    kid: Option<String>,
    checks: Vec<(Algorithm, Check)>,
}

impl BoundKey {
    fn check_for(&self, algorithm: Algorithm) -> Option<&Check> {
        self.checks
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, c)| c)
    }
}

/// What a header decides: the algorithm, and the keys that may have signed.
struct Selection {
    algorithm: Algorithm,
    keys: Vec<usize>,
}

/// How many distinct headers are remembered; one per issuer and key is typical.
const RECENT_HEADERS: usize = 16;

/// RSA-8192, the largest key aws-lc-rs verifies, makes 1024-byte signatures.
const MAX_SIGNATURE_LEN: usize = 1024;

pub struct Verifier {
    keys: Vec<BoundKey>,
    recent_headers: Mutex<Vec<(Box<str>, Arc<Selection>)>>,
    /// Whether any key carries a `kid`, so a token's `kid` must select among them.
    kid_selects: bool,
    policy: ClaimsPolicy,
    max_token_length: usize,
    warnings: Vec<Warning>,
}

impl Verifier {
    pub fn new(options: VerifierOptions) -> Result<Verifier> {
        if options.keys.is_empty() {
            return Err(Error::invalid_option(
                "a verifier needs a secret, a public key or a JWKS",
            ));
        }
        let mut warnings = Vec::new();
        let mut keys = Vec::with_capacity(options.keys.len());
        for key in &options.keys {
            // A key no allowed algorithm fits is kept, without checks, so a token naming
            // it by `kid` is refused for its algorithm rather than for an unknown kid.
            let checks = bind(key, options.algorithms.as_deref(), &mut warnings)?;
            keys.push(BoundKey {
                kid: key.kid.clone(),
                checks,
            });
        }
        if keys.iter().all(|key| key.checks.is_empty()) {
            let allowed: Vec<_> = options
                .algorithms
                .iter()
                .flatten()
                .map(|a| a.name())
                .collect();
            return Err(Error::AlgUnsupported(
                format!("none of the allowed algorithms {allowed:?} fit the configured key(s)")
                    .into(),
            ));
        }
        Ok(Verifier {
            kid_selects: keys.iter().any(|k| k.kid.is_some()),
            recent_headers: Mutex::new(Vec::with_capacity(RECENT_HEADERS)),
            keys,
            policy: options.policy,
            max_token_length: options.max_token_length,
            warnings,
        })
    }

    /// Configuration advice (e.g. a short HMAC secret) for the caller to surface once.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Verifies `token` at time `now` (seconds since the epoch).
    pub fn verify(&self, token: &str, now: f64) -> Result<Verified> {
        if token.len() > self.max_token_length {
            return Err(Error::JwtTooLarge(self.max_token_length));
        }
        if token.is_empty() {
            return Err(Error::malformed("token is empty"));
        }
        let segments = compact::split(token)?;
        let selection = self.select(segments.header)?;
        let payload_bytes = compact::decode(segments.payload, "payload is not base64url")?;
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let signature = compact::decode_into(segments.signature, &mut signature)?;

        let signed = selection.keys.iter().any(|&index| {
            self.keys[index]
                .check_for(selection.algorithm)
                .is_some_and(|check| {
                    verify_signature(check, segments.signing_input.as_bytes(), signature)
                })
        });
        if !signed {
            return Err(Error::JwtSignatureInvalid);
        }
        let payload = String::from_utf8(payload_bytes)
            .map_err(|_| Error::malformed("payload is not a JSON object"))?;
        compact::require_object(payload.as_bytes(), "payload is not a JSON object")?;
        let valid_until = self.policy.check(&payload, now)?;
        Ok(Verified {
            payload,
            valid_until,
        })
    }

    /// The algorithm and candidate keys for a header. The answer depends on the header
    /// text alone, and one issuer sends the same header on every token, so recent
    /// answers are remembered.
    fn select(&self, header_segment: &str) -> Result<Arc<Selection>> {
        let recent = self
            .recent_headers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, selection)) = recent
            .iter()
            .find(|(segment, _)| **segment == *header_segment)
        {
            return Ok(Arc::clone(selection));
        }
        drop(recent);
        let selection = Arc::new(self.select_uncached(header_segment)?);
        let mut recent = self
            .recent_headers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if recent.len() == RECENT_HEADERS {
            recent.remove(0);
        }
        recent.push((header_segment.into(), Arc::clone(&selection)));
        Ok(selection)
    }

    fn select_uncached(&self, header_segment: &str) -> Result<Selection> {
        let header_bytes = compact::decode(header_segment, "header is not base64url")?;
        let header_text = compact::require_object(&header_bytes, "header is not a JSON object")?;
        let header = compact::parse_header(header_text)?;
        let algorithm = match Algorithm::from_name(&header.alg) {
            Some(alg) => alg,
            None => return Err(Error::JwtAlgNotAllowed(header.alg.into_owned())),
        };
        if let Some(typ) = header.typ {
            if !compact::accepted_type_value(typ) {
                return Err(Error::JwtTypeInvalid(typ.get().to_owned()));
            }
        }
        if header.crit.is_some() {
            return Err(Error::JwtCritUnsupported(
                "no extensions are supported (\"crit\" must be absent)".into(),
            ));
        }
        let kid = header.kid.as_deref().filter(|_| self.kid_selects);
        let by_kid: Vec<usize> = (0..self.keys.len())
            .filter(|&i| kid.is_none() || self.keys[i].kid.as_deref() == kid)
            .collect();
        if let (Some(kid), true) = (kid, by_kid.is_empty()) {
            return Err(Error::JwtKeyNotFound(kid.to_owned()));
        }
        let keys: Vec<usize> = by_kid
            .into_iter()
            .filter(|&i| self.keys[i].check_for(algorithm).is_some())
            .collect();
        if keys.is_empty() {
            return Err(Error::JwtAlgNotAllowed(algorithm.name().to_owned()));
        }
        Ok(Selection { algorithm, keys })
    }
}

fn verify_signature(check: &Check, message: &[u8], signature: &[u8]) -> bool {
    match check {
        Check::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
        Check::Public(key) => key.verify_sig(message, signature).is_ok(),
    }
}

/// The algorithms a key may verify: its JWK `alg` or its family's, within the allow-list.
fn bind(
    key: &PublicKey,
    allow: Option<&[Algorithm]>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(Algorithm, Check)>> {
    let family_algs: Vec<Algorithm> = match key.algorithm {
        Some(alg) => vec![alg],
        None => key.family.algorithms().to_vec(),
    };
    let mut checks = Vec::new();
    for alg in family_algs {
        if allow.is_some_and(|allow| !allow.contains(&alg)) {
            continue;
        }
        let check = match (&key.material, alg.hmac()) {
            (PublicMaterial::Secret(secret), Some(hmac_alg)) => {
                Check::Hmac(hmac::Key::new(hmac_alg, secret))
            }
            _ => Check::Public(key.material.parse_for(alg)?),
        };
        checks.push((alg, check));
    }
    if let (PublicMaterial::Secret(secret), Some((weakest, _))) = (&key.material, checks.first()) {
        if key.family == KeyFamily::Hmac && secret.len() < weakest.min_hmac_secret_len() {
            warnings.push(short_secret_warning(secret.len(), *weakest));
        }
    }
    Ok(checks)
}

pub(crate) fn short_secret_warning(len: usize, algorithm: Algorithm) -> Warning {
    let message = format!(
        "HMAC secret is {len} bytes; {} needs at least {} (RFC 7518 §3.2). Use a longer random secret.",
        algorithm.name(),
        algorithm.min_hmac_secret_len()
    );
    Warning {
        code: Warning::HMAC_SECRET_SHORT,
        message,
    }
}

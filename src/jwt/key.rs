//! Key material: secrets, PEM documents and JWKs, parsed once into ready-to-use
//! aws-lc-rs objects so the per-token path never touches DER or JSON again.

use aws_lc_rs::rsa::{KeyPairComponents, PublicKeyComponents};
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair, ED25519,
};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use serde::Deserialize;

use super::algorithm::{Algorithm, Curve, KeyFamily};
use crate::error::{Error, Result};

/// RFC 7518 §3.3 and §3.5: RSA keys of 2048 bits or more.
pub const MIN_RSA_BITS: usize = 2048;

/// JWK members are base64url; some producers pad them, which is harmless to accept.
const JWK_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Key material as configured by the user.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// An HMAC secret.
    Secret(&'a [u8]),
    /// A PEM document (PKCS#8, SPKI, PKCS#1 or SEC1).
    Pem(&'a [u8]),
    /// A JWK as JSON text.
    Jwk(&'a str),
}

/// A key able to sign, with what the source said about it.
pub struct PrivateKey {
    pub family: KeyFamily,
    pub kid: Option<String>,
    /// `alg` pinned by a JWK.
    pub algorithm: Option<Algorithm>,
    pub(crate) material: PrivateMaterial,
}

pub(crate) enum PrivateMaterial {
    Secret(Vec<u8>),
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key able to verify, with what the source said about it.
pub struct PublicKey {
    pub family: KeyFamily,
    pub kid: Option<String>,
    /// `alg` pinned by a JWK.
    pub algorithm: Option<Algorithm>,
    pub(crate) material: PublicMaterial,
}

pub(crate) enum PublicMaterial {
    Secret(Vec<u8>),
    /// SPKI or PKCS#1 DER; aws-lc-rs accepts both.
    RsaDer(Vec<u8>),
    RsaComponents {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// SPKI DER or an uncompressed SEC1 point.
    Ec(Vec<u8>),
    /// SPKI DER or the raw 32-byte key.
    Ed25519(Vec<u8>),
}

impl PublicMaterial {
    /// Binds the key to one algorithm, parsing it for the last time.
    pub(crate) fn parse_for(&self, algorithm: Algorithm) -> Result<ParsedPublicKey> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| {
            Error::key_invalid(format!("public key rejected for {}: {e}", algorithm.name()))
        };
        match (self, algorithm.family()) {
            (PublicMaterial::RsaDer(der), KeyFamily::Rsa) => {
                ParsedPublicKey::new(rsa_params(algorithm), der).map_err(rejected)
            }
            (PublicMaterial::RsaComponents { n, e }, KeyFamily::Rsa) => {
                PublicKeyComponents { n, e }
                    .to_parsed_public_key(rsa_params(algorithm))
                    .map_err(rejected)
            }
            (PublicMaterial::Ec(bytes), KeyFamily::Ec(curve)) => {
                ParsedPublicKey::new(curve.verification(), bytes).map_err(rejected)
            }
            (PublicMaterial::Ed25519(bytes), KeyFamily::Ed25519) => {
                ParsedPublicKey::new(&ED25519, bytes).map_err(rejected)
            }
            _ => Err(Error::AlgUnsupported(
                format!("{} does not fit this key", algorithm.name()).into(),
            )),
        }
    }
}

fn rsa_params(algorithm: Algorithm) -> &'static aws_lc_rs::signature::RsaParameters {
    algorithm.rsa_verification().expect("RSA family algorithm")
}

fn secret(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.is_empty() {
        return Err(Error::key_invalid("HMAC secret must not be empty"));
    }
    Ok(bytes.to_vec())
}

fn check_rsa_bits(bits: usize) -> Result<()> {
    if bits < MIN_RSA_BITS {
        return Err(Error::KeyTooWeak(
            format!("RSA key has {bits} bits; at least {MIN_RSA_BITS} are required").into(),
        ));
    }
    Ok(())
}

/// aws-lc-rs refuses RSA private keys under 2048 bits with this reason.
fn rsa_private_rejected(e: aws_lc_rs::error::KeyRejected) -> Error {
    if e.description_() == "TooSmall" {
        Error::KeyTooWeak(format!("RSA key is smaller than {MIN_RSA_BITS} bits").into())
    } else {
        Error::key_invalid(format!("RSA private key rejected: {e}"))
    }
}

fn parse_pem(bytes: &[u8]) -> Result<pem::Pem> {
    pem::parse(bytes).map_err(|e| Error::key_invalid(format!("key is not valid PEM: {e}")))
}

impl PrivateKey {
    pub fn parse(source: KeySource<'_>) -> Result<PrivateKey> {
        match source {
            KeySource::Secret(bytes) => Ok(PrivateKey {
                family: KeyFamily::Hmac,
                kid: None,
                algorithm: None,
                material: PrivateMaterial::Secret(secret(bytes)?),
            }),
            KeySource::Pem(bytes) => Self::from_pem(&parse_pem(bytes)?),
            KeySource::Jwk(json) => Self::from_jwk(json),
        }
    }

    fn from_pem(doc: &pem::Pem) -> Result<PrivateKey> {
        let der = doc.contents();
        let (family, material) = match doc.tag() {
            "RSA PRIVATE KEY" => {
                let pair = RsaKeyPair::from_der(der).map_err(rsa_private_rejected)?;
                (KeyFamily::Rsa, PrivateMaterial::Rsa(pair))
            }
            "EC PRIVATE KEY" => ec_private_from_der(der).ok_or_else(|| {
                Error::key_invalid("EC private key is invalid or not on P-256, P-384 or P-521")
            })?,
            "PRIVATE KEY" => pkcs8_private(der)?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::key_invalid(
                    "encrypted private keys are not supported; decrypt the key first",
                ))
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => {
                return Err(Error::key_invalid(format!(
                    "a private key is needed to sign, got a PEM {:?}",
                    doc.tag()
                )))
            }
            other => {
                return Err(Error::key_invalid(format!(
                    "unsupported PEM type {other:?}"
                )))
            }
        };
        Ok(PrivateKey {
            family,
            kid: None,
            algorithm: None,
            material,
        })
    }

    fn from_jwk(json: &str) -> Result<PrivateKey> {
        let (jwk, extra) = parse_jwk(json)?;
        let private = |value: &Option<String>, name: &str| -> Result<Vec<u8>> {
            match value {
                Some(v) => jwk_bytes(v, name),
                None => Err(Error::key_invalid(format!(
                    "JWK has no private member {name:?}; a private key is needed to sign"
                ))),
            }
        };
        let (family, material) = match &jwk.algorithm {
            AlgorithmParameters::OctetKey(oct) => (
                KeyFamily::Hmac,
                PrivateMaterial::Secret(secret(&jwk_bytes(&oct.value, "k")?)?),
            ),
            AlgorithmParameters::RSA(rsa) => {
                let n = jwk_bytes(&rsa.n, "n")?;
                check_rsa_bits(significant_bits(&n))?;
                let components = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n,
                        e: jwk_bytes(&rsa.e, "e")?,
                    },
                    d: private(&extra.d, "d")?,
                    p: private(&extra.p, "p")?,
                    q: private(&extra.q, "q")?,
                    dP: private(&extra.dp, "dp")?,
                    dQ: private(&extra.dq, "dq")?,
                    qInv: private(&extra.qi, "qi")?,
                };
                let pair =
                    RsaKeyPair::from_components(&components).map_err(rsa_private_rejected)?;
                (KeyFamily::Rsa, PrivateMaterial::Rsa(pair))
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let curve = jwk_curve(&ec.curve)?;
                let point = ec_point(&ec.x, &ec.y)?;
                let d = private(&extra.d, "d")?;
                let pair =
                    EcdsaKeyPair::from_private_key_and_public_key(curve.signing(), &d, &point)
                        .map_err(|e| Error::key_invalid(format!("EC JWK rejected: {e}")))?;
                (KeyFamily::Ec(curve), PrivateMaterial::Ec(pair))
            }
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
                let x = jwk_bytes(&okp.x, "x")?;
                let d = private(&extra.d, "d")?;
                let pair = Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map_err(|e| Error::key_invalid(format!("Ed25519 JWK rejected: {e}")))?;
                (KeyFamily::Ed25519, PrivateMaterial::Ed25519(pair))
            }
            _ => return Err(unsupported_jwk()),
        };
        Ok(PrivateKey {
            family,
            kid: jwk.common.key_id.clone(),
            algorithm: jwk_algorithm(&extra, family)?,
            material,
        })
    }

    /// The public half, for verifiers built from a signer's key.
    pub fn public_key(&self) -> PublicKey {
        let material = match &self.material {
            PrivateMaterial::Secret(s) => PublicMaterial::Secret(s.clone()),
            PrivateMaterial::Rsa(pair) => {
                PublicMaterial::RsaDer(pair.public_key().as_ref().to_vec())
            }
            PrivateMaterial::Ec(pair) => PublicMaterial::Ec(pair.public_key().as_ref().to_vec()),
            PrivateMaterial::Ed25519(pair) => {
                PublicMaterial::Ed25519(pair.public_key().as_ref().to_vec())
            }
        };
        PublicKey {
            family: self.family,
            kid: self.kid.clone(),
            algorithm: self.algorithm,
            material,
        }
    }
}

fn pkcs8_private(der: &[u8]) -> Result<(KeyFamily, PrivateMaterial)> {
    match RsaKeyPair::from_pkcs8(der) {
        Ok(pair) => return Ok((KeyFamily::Rsa, PrivateMaterial::Rsa(pair))),
        Err(e) if e.description_() == "TooSmall" => return Err(rsa_private_rejected(e)),
        Err(_) => {}
    }
    if let Some(found) = ec_private_from_der(der) {
        return Ok(found);
    }
    if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        return Ok((KeyFamily::Ed25519, PrivateMaterial::Ed25519(pair)));
    }
    Err(Error::key_invalid(
        "PKCS#8 key is not an RSA, EC (P-256, P-384, P-521) or Ed25519 private key",
    ))
}

fn ec_private_from_der(der: &[u8]) -> Option<(KeyFamily, PrivateMaterial)> {
    Curve::ALL.into_iter().find_map(|curve| {
        EcdsaKeyPair::from_private_key_der(curve.signing(), der)
            .ok()
            .map(|pair| (KeyFamily::Ec(curve), PrivateMaterial::Ec(pair)))
    })
}

impl PublicKey {
    pub fn parse(source: KeySource<'_>) -> Result<PublicKey> {
        match source {
            KeySource::Secret(bytes) => Ok(PublicKey {
                family: KeyFamily::Hmac,
                kid: None,
                algorithm: None,
                material: PublicMaterial::Secret(secret(bytes)?),
            }),
            KeySource::Pem(bytes) => Self::from_pem(&parse_pem(bytes)?),
            KeySource::Jwk(json) => Self::from_jwk(json),
        }
    }

    /// Parses a JWK Set (`{"keys": [...]}`) into its keys.
    pub fn parse_set(json: &str) -> Result<Vec<PublicKey>> {
        #[derive(Deserialize)]
        struct Set<'a> {
            #[serde(borrow)]
            keys: Vec<&'a serde_json::value::RawValue>,
        }
        let set: Set<'_> = serde_json::from_str(json).map_err(|e| {
            Error::key_invalid(format!("JWKS must be an object with a \"keys\" array: {e}"))
        })?;
        if set.keys.is_empty() {
            return Err(Error::key_invalid("JWKS has no keys"));
        }
        set.keys
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                Self::from_jwk(raw.get()).map_err(|e| match e {
                    Error::KeyInvalid(m) => Error::key_invalid(format!("JWKS key {i}: {m}")),
                    other => other,
                })
            })
            .collect()
    }

    fn from_pem(doc: &pem::Pem) -> Result<PublicKey> {
        let der = doc.contents();
        let (family, material) = match doc.tag() {
            "RSA PUBLIC KEY" => rsa_public_der(der)?,
            "PUBLIC KEY" => spki_public(der)?,
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::key_invalid(format!(
                    "a public key is expected here, got a PEM {:?}; pass the public key (never share the private one)",
                    doc.tag()
                )))
            }
            other => return Err(Error::key_invalid(format!("unsupported PEM type {other:?}"))),
        };
        Ok(PublicKey {
            family,
            kid: None,
            algorithm: None,
            material,
        })
    }

    fn from_jwk(json: &str) -> Result<PublicKey> {
        let (jwk, extra) = parse_jwk(json)?;
        let (family, material) = match &jwk.algorithm {
            AlgorithmParameters::OctetKey(oct) => (
                KeyFamily::Hmac,
                PublicMaterial::Secret(secret(&jwk_bytes(&oct.value, "k")?)?),
            ),
            AlgorithmParameters::RSA(rsa) => {
                let n = jwk_bytes(&rsa.n, "n")?;
                check_rsa_bits(significant_bits(&n))?;
                let e = jwk_bytes(&rsa.e, "e")?;
                (KeyFamily::Rsa, PublicMaterial::RsaComponents { n, e })
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let curve = jwk_curve(&ec.curve)?;
                (
                    KeyFamily::Ec(curve),
                    PublicMaterial::Ec(ec_point(&ec.x, &ec.y)?),
                )
            }
            AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => (
                KeyFamily::Ed25519,
                PublicMaterial::Ed25519(jwk_bytes(&okp.x, "x")?),
            ),
            _ => return Err(unsupported_jwk()),
        };
        let key = PublicKey {
            family,
            kid: jwk.common.key_id.clone(),
            algorithm: jwk_algorithm(&extra, family)?,
            material,
        };
        // Parse now so a bad point or modulus fails at configuration, not on the first token.
        if family != KeyFamily::Hmac {
            key.material
                .parse_for(key.algorithm.unwrap_or(family.default_algorithm()))?;
        }
        Ok(key)
    }
}

fn rsa_public_der(der: &[u8]) -> Result<(KeyFamily, PublicMaterial)> {
    let key = aws_lc_rs::rsa::PublicKey::from_der(der)
        .map_err(|e| Error::key_invalid(format!("RSA public key rejected: {e}")))?;
    check_rsa_bits(key.modulus_len() * 8)?;
    Ok((KeyFamily::Rsa, PublicMaterial::RsaDer(der.to_vec())))
}

fn spki_public(der: &[u8]) -> Result<(KeyFamily, PublicMaterial)> {
    if let Ok(found) = rsa_public_der(der) {
        return Ok(found);
    }
    if let Ok(key) = aws_lc_rs::rsa::PublicKey::from_der(der) {
        // An RSA key that failed only the size check.
        check_rsa_bits(key.modulus_len() * 8)?;
    }
    for curve in Curve::ALL {
        if ParsedPublicKey::new(curve.verification(), der).is_ok() {
            return Ok((KeyFamily::Ec(curve), PublicMaterial::Ec(der.to_vec())));
        }
    }
    if ParsedPublicKey::new(&ED25519, der).is_ok() {
        return Ok((KeyFamily::Ed25519, PublicMaterial::Ed25519(der.to_vec())));
    }
    Err(Error::key_invalid(
        "public key is not an RSA, EC (P-256, P-384, P-521) or Ed25519 key",
    ))
}

/// JWK members jsonwebtoken's model leaves out: private parts, and `alg` values
/// (such as ES512) it does not name.
#[derive(Deserialize, Default)]
struct JwkExtra {
    alg: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
}

fn parse_jwk(json: &str) -> Result<(Jwk, JwkExtra)> {
    let jwk: Jwk = serde_json::from_str(json)
        .map_err(|e| Error::key_invalid(format!("JWK is invalid: {e}")))?;
    let extra: JwkExtra = serde_json::from_str(json)
        .map_err(|e| Error::key_invalid(format!("JWK is invalid: {e}")))?;
    Ok((jwk, extra))
}

fn unsupported_jwk() -> Error {
    Error::key_invalid(
        "JWK must be kty \"oct\", \"RSA\", \"EC\" (P-256, P-384, P-521) or \"OKP\" (Ed25519)",
    )
}

fn jwk_algorithm(extra: &JwkExtra, family: KeyFamily) -> Result<Option<Algorithm>> {
    let Some(name) = extra.alg.as_deref() else {
        return Ok(None);
    };
    let algorithm = Algorithm::from_name(name).ok_or_else(|| {
        Error::AlgUnsupported(format!("JWK alg {name:?} is not supported").into())
    })?;
    if algorithm.family() != family {
        return Err(Error::AlgUnsupported(
            format!("JWK alg {name:?} does not fit the key type").into(),
        ));
    }
    Ok(Some(algorithm))
}

fn jwk_curve(curve: &EllipticCurve) -> Result<Curve> {
    match curve {
        EllipticCurve::P256 => Ok(Curve::P256),
        EllipticCurve::P384 => Ok(Curve::P384),
        EllipticCurve::P521 => Ok(Curve::P521),
        _ => Err(unsupported_jwk()),
    }
}

fn jwk_bytes(value: &str, member: &str) -> Result<Vec<u8>> {
    JWK_BASE64
        .decode(value)
        .map_err(|_| Error::key_invalid(format!("JWK member {member:?} is not base64url")))
}

fn ec_point(x: &str, y: &str) -> Result<Vec<u8>> {
    let mut point = vec![0x04];
    point.extend(jwk_bytes(x, "x")?);
    point.extend(jwk_bytes(y, "y")?);
    Ok(point)
}

fn significant_bits(big_endian: &[u8]) -> usize {
    let Some(first) = big_endian.iter().position(|b| *b != 0) else {
        return 0;
    };
    (big_endian.len() - first) * 8 - big_endian[first].leading_zeros() as usize
}

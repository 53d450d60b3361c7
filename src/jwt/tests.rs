//! Signer and verifier together: published vectors, every algorithm and key format,
//! interoperability with the `jsonwebtoken` crate, and the classic attacks.

use super::*;
use crate::error::Error;

const NOW: f64 = 1_800_000_000.0;

macro_rules! key {
    ($name:literal) => {
        include_bytes!(concat!("testdata/", $name)).as_slice()
    };
}

fn signer(source: KeySource<'_>, algorithm: Option<Algorithm>) -> Signer {
    Signer::new(SignerOptions {
        key: PrivateKey::parse(source).expect("private key"),
        algorithm,
        kid: None,
        issuer: None,
        audience: vec![],
        expires_in: 900.0,
        not_before: None,
    })
    .expect("signer")
}

fn verifier_with(
    keys: Vec<PublicKey>,
    algorithms: Option<Vec<Algorithm>>,
) -> Result<Verifier, Error> {
    Verifier::new(VerifierOptions {
        keys,
        algorithms,
        policy: ClaimsPolicy {
            require_expiration: true,
            ..Default::default()
        },
        max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
    })
}

fn verifier(source: KeySource<'_>) -> Verifier {
    verifier_with(vec![PublicKey::parse(source).expect("public key")], None).expect("verifier")
}

fn code(result: Result<Verified, Error>) -> &'static str {
    result.map(|_| "OK").unwrap_or_else(|e| e.code())
}

/// Builds a token from raw header and payload JSON, signed with HMAC `secret`.
fn forge_hs256(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        compact::encode(header.as_bytes()),
        compact::encode(payload.as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", compact::encode(tag.as_ref()))
}

/// Changes one base64url character, keeping the token well-formed.
fn tamper(token: &str, at: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    assert_ne!(bytes[at], b'.');
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

// RFC 7515 appendix A.1.
const A1_KEY: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
const A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// RFC 7515 appendix A.3.
const A3_KEY: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
const A3_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 8037 appendix A.1, A.4.
const ED_KEY: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const ED_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

#[test]
fn rfc7515_a1_hs256() {
    let v = verifier(KeySource::Jwk(A1_KEY));
    let verified = v.verify(A1_TOKEN, 1_300_819_379.0).unwrap();
    assert!(verified.payload.contains("\"iss\":\"joe\""));
    assert_eq!(verified.valid_until, Some(1_300_819_380.0));
    assert_eq!(code(v.verify(A1_TOKEN, 1_300_819_380.0)), "ERR_JWT_EXPIRED");
    let tampered = tamper(A1_TOKEN, 60);
    assert_eq!(
        code(v.verify(&tampered, 1_300_819_379.0)),
        "ERR_JWT_SIGNATURE_INVALID"
    );
}

#[test]
fn rfc7515_a3_es256() {
    // The appendix's JWK carries `d`; a verifier wants the public half only.
    let public = A3_KEY.replace(r#","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#, "");
    let v = verifier(KeySource::Jwk(&public));
    assert_eq!(code(v.verify(A3_TOKEN, 1_300_819_379.0)), "OK");
    // And a token signed with the appendix's private key verifies with it.
    let s = signer(KeySource::Jwk(A3_KEY), None);
    assert_eq!(s.algorithm(), Algorithm::ES256);
    assert_eq!(code(v.verify(&s.sign("{}", NOW).unwrap(), NOW)), "OK");
}

#[test]
fn rfc8037_ed25519() {
    let public = ED_KEY.replace(r#""d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","#, "");
    let v = verifier(KeySource::Jwk(&public));
    // The signature verifies; the payload is text, not claims.
    let err = v.verify(ED_TOKEN, NOW).unwrap_err();
    assert_eq!(err.code(), "ERR_JWT_MALFORMED");
    let tampered = tamper(ED_TOKEN, 30);
    assert_eq!(code(v.verify(&tampered, NOW)), "ERR_JWT_SIGNATURE_INVALID");
    // Ed25519 is deterministic: signing the appendix's input gives the appendix's signature.
    let s = signer(KeySource::Jwk(ED_KEY), None);
    let (input, signature) = ED_TOKEN.rsplit_once('.').unwrap();
    assert_eq!(
        compact::encode(&s.signature(input.as_bytes()).unwrap()),
        signature
    );
}

#[test]
fn every_algorithm_and_key_format_round_trips() {
    let rsa_private = [key!("rsa2048.pkcs8.pem"), key!("rsa2048.pkcs1.pem")];
    let rsa_public = [key!("rsa2048.spki.pem"), key!("rsa2048.pkcs1.pub.pem")];
    let mut cases: Vec<(Algorithm, &[u8], &[u8])> = vec![];
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        for private in rsa_private {
            for public in rsa_public {
                cases.push((alg, private, public));
            }
        }
    }
    for (alg, pkcs8, sec1, spki) in [
        (
            Algorithm::ES256,
            key!("ecp256.pkcs8.pem"),
            key!("ecp256.sec1.pem"),
            key!("ecp256.spki.pem"),
        ),
        (
            Algorithm::ES384,
            key!("ecp384.pkcs8.pem"),
            key!("ecp384.sec1.pem"),
            key!("ecp384.spki.pem"),
        ),
        (
            Algorithm::ES512,
            key!("ecp521.pkcs8.pem"),
            key!("ecp521.sec1.pem"),
            key!("ecp521.spki.pem"),
        ),
    ] {
        cases.push((alg, pkcs8, spki));
        cases.push((alg, sec1, spki));
    }
    cases.push((
        Algorithm::EdDSA,
        key!("ed25519.pkcs8.pem"),
        key!("ed25519.spki.pem"),
    ));

    for (alg, private, public) in cases {
        let s = signer(KeySource::Pem(private), Some(alg));
        let v = verifier(KeySource::Pem(public));
        let token = s.sign(r#"{"sub":"u1"}"#, NOW).unwrap();
        let verified = v
            .verify(&token, NOW + 1.0)
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert!(verified
            .payload
            .starts_with(r#"{"sub":"u1","iat":1800000000,"exp":1800000900,"jti":""#));
    }
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let secret = [7u8; 64];
        let token = signer(KeySource::Secret(&secret), Some(alg))
            .sign("{}", NOW)
            .unwrap();
        assert_eq!(
            code(verifier(KeySource::Secret(&secret)).verify(&token, NOW)),
            "OK"
        );
    }
}

#[test]
fn default_algorithm_follows_the_key() {
    let cases = [
        (key!("rsa2048.pkcs8.pem"), Algorithm::RS256),
        (key!("ecp384.sec1.pem"), Algorithm::ES384),
        (key!("ecp521.pkcs8.pem"), Algorithm::ES512),
        (key!("ed25519.pkcs8.pem"), Algorithm::EdDSA),
    ];
    for (pem, alg) in cases {
        assert_eq!(signer(KeySource::Pem(pem), None).algorithm(), alg);
    }
    assert_eq!(
        signer(KeySource::Secret(SECRET), None).algorithm(),
        Algorithm::HS256
    );
}

#[test]
fn header_and_payload_shape() {
    let s = Signer::new(SignerOptions {
        key: PrivateKey::parse(KeySource::Secret(SECRET)).unwrap(),
        algorithm: None,
        kid: Some("k1".into()),
        issuer: Some("https://issuer".into()),
        audience: vec!["a".into(), "b".into()],
        expires_in: 60.0,
        not_before: Some(5.0),
    })
    .unwrap();
    let token = s
        .sign(r#"{"sub":"u","exp":1800000030}"#, NOW + 0.7)
        .unwrap();
    let parts: Vec<_> = token.split('.').collect();
    let header = String::from_utf8(compact::decode(parts[0], "").unwrap()).unwrap();
    assert_eq!(header, r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#);
    let payload: serde_json::Value =
        serde_json::from_slice(&compact::decode(parts[1], "").unwrap()).unwrap();
    assert_eq!(payload["exp"], 1_800_000_030, "caller's exp wins");
    assert_eq!(payload["iat"], 1_800_000_000);
    assert_eq!(payload["nbf"], 1_800_000_005);
    assert_eq!(payload["iss"], "https://issuer");
    assert_eq!(payload["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(payload["jti"].as_str().unwrap().len(), 22);
    let again = s.sign("{}", NOW).unwrap();
    assert_ne!(again, s.sign("{}", NOW).unwrap(), "jti differs per token");
}

#[test]
fn sign_rejects_bad_claims() {
    let s = signer(KeySource::Secret(SECRET), None);
    for bad in [
        "[]",
        "1",
        "\"x\"",
        "{",
        r#"{"exp":"soon"}"#,
        r#"{"iat":null}"#,
        r#"{"exp":1,"exp":2}"#,
    ] {
        assert_eq!(
            s.sign(bad, NOW).unwrap_err().code(),
            "ERR_JWT_CLAIMS_INVALID",
            "{bad}"
        );
    }
}

#[test]
fn jsonwebtoken_crate_interop() {
    use jsonwebtoken::{
        decode, encode, Algorithm as J, DecodingKey, EncodingKey, Header, Validation,
    };
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Claims {
        sub: String,
        exp: u64,
    }
    let exp = (NOW as u64) + 600;
    let now = jsonwebtoken::get_current_timestamp() as f64;
    let cases: Vec<(
        J,
        Algorithm,
        EncodingKey,
        DecodingKey,
        KeySource<'_>,
        KeySource<'_>,
    )> = vec![
        (
            J::HS256,
            Algorithm::HS256,
            EncodingKey::from_secret(SECRET),
            DecodingKey::from_secret(SECRET),
            KeySource::Secret(SECRET),
            KeySource::Secret(SECRET),
        ),
        (
            J::RS256,
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(key!("rsa2048.pkcs8.pem")).unwrap(),
            DecodingKey::from_rsa_pem(key!("rsa2048.spki.pem")).unwrap(),
            KeySource::Pem(key!("rsa2048.pkcs8.pem")),
            KeySource::Pem(key!("rsa2048.spki.pem")),
        ),
        (
            J::PS384,
            Algorithm::PS384,
            EncodingKey::from_rsa_pem(key!("rsa2048.pkcs1.pem")).unwrap(),
            DecodingKey::from_rsa_pem(key!("rsa2048.pkcs1.pub.pem")).unwrap(),
            KeySource::Pem(key!("rsa2048.pkcs1.pem")),
            KeySource::Pem(key!("rsa2048.pkcs1.pub.pem")),
        ),
        (
            J::ES256,
            Algorithm::ES256,
            EncodingKey::from_ec_pem(key!("ecp256.pkcs8.pem")).unwrap(),
            DecodingKey::from_ec_pem(key!("ecp256.spki.pem")).unwrap(),
            KeySource::Pem(key!("ecp256.pkcs8.pem")),
            KeySource::Pem(key!("ecp256.spki.pem")),
        ),
        (
            J::ES384,
            Algorithm::ES384,
            EncodingKey::from_ec_pem(key!("ecp384.pkcs8.pem")).unwrap(),
            DecodingKey::from_ec_pem(key!("ecp384.spki.pem")).unwrap(),
            KeySource::Pem(key!("ecp384.pkcs8.pem")),
            KeySource::Pem(key!("ecp384.spki.pem")),
        ),
        (
            J::EdDSA,
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(key!("ed25519.pkcs8.pem")).unwrap(),
            DecodingKey::from_ed_pem(key!("ed25519.spki.pem")).unwrap(),
            KeySource::Pem(key!("ed25519.pkcs8.pem")),
            KeySource::Pem(key!("ed25519.spki.pem")),
        ),
    ];
    for (theirs, ours, enc, dec, private, public) in cases {
        let token = encode(
            &Header::new(theirs),
            &Claims {
                sub: "u".into(),
                exp,
            },
            &enc,
        )
        .unwrap();
        assert_eq!(
            code(verifier(public).verify(&token, NOW)),
            "OK",
            "{ours:?}: jsonwebtoken -> ferroauth"
        );
        let token = signer(private, Some(ours))
            .sign(r#"{"sub":"u"}"#, now)
            .unwrap();
        let claims = decode::<Claims>(&token, &dec, &Validation::new(theirs))
            .unwrap()
            .claims;
        assert_eq!(claims.sub, "u", "{ours:?}: ferroauth -> jsonwebtoken");
    }
}

#[test]
fn alg_none_and_unknown_algorithms_are_refused() {
    let v = verifier(KeySource::Secret(SECRET));
    for alg in ["none", "None", "NONE", "nOnE", "HS1", "hs256", ""] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        let unsigned = format!(
            "{}.{}.",
            compact::encode(header.as_bytes()),
            compact::encode(br#"{"exp":1900000000}"#)
        );
        assert_eq!(
            code(v.verify(&unsigned, NOW)),
            "ERR_JWT_ALG_NOT_ALLOWED",
            "empty signature: {alg}"
        );
        let signed = forge_hs256(&header, r#"{"exp":1900000000}"#, SECRET);
        assert_eq!(
            code(v.verify(&signed, NOW)),
            "ERR_JWT_ALG_NOT_ALLOWED",
            "{alg}"
        );
    }
    let err = PrivateKey::parse(KeySource::Secret(b"")).err().unwrap();
    assert_eq!(err.code(), "ERR_JWT_KEY_INVALID");
}

#[test]
fn hmac_with_the_public_key_as_secret_is_refused() {
    let public_pem = key!("rsa2048.spki.pem");
    let v = verifier(KeySource::Pem(public_pem));
    let forged = forge_hs256(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"sub":"admin","exp":1900000000}"#,
        public_pem,
    );
    assert_eq!(code(v.verify(&forged, NOW)), "ERR_JWT_ALG_NOT_ALLOWED");
}

#[test]
fn allow_list_restricts_algorithms() {
    let public = PublicKey::parse(KeySource::Pem(key!("rsa2048.spki.pem"))).unwrap();
    let v = verifier_with(vec![public], Some(vec![Algorithm::PS256])).unwrap();
    let rs = signer(
        KeySource::Pem(key!("rsa2048.pkcs8.pem")),
        Some(Algorithm::RS256),
    )
    .sign("{}", NOW)
    .unwrap();
    let ps = signer(
        KeySource::Pem(key!("rsa2048.pkcs8.pem")),
        Some(Algorithm::PS256),
    )
    .sign("{}", NOW)
    .unwrap();
    assert_eq!(code(v.verify(&rs, NOW)), "ERR_JWT_ALG_NOT_ALLOWED");
    assert_eq!(code(v.verify(&ps, NOW)), "OK");
    let public = PublicKey::parse(KeySource::Pem(key!("rsa2048.spki.pem"))).unwrap();
    let err = verifier_with(vec![public], Some(vec![Algorithm::HS256]))
        .err()
        .unwrap();
    assert_eq!(err.code(), "ERR_JWT_ALG_UNSUPPORTED");
}

#[test]
fn embedded_keys_crit_and_typ() {
    let v = verifier(KeySource::Secret(SECRET));
    let attacker = b"attacker-secret-attacker-secret!";
    for header in [
        r#"{"alg":"HS256","jwk":{"kty":"oct","k":"YXR0YWNrZXItc2VjcmV0LWF0dGFja2VyLXNlY3JldCE"}}"#,
        r#"{"alg":"HS256","jku":"https://attacker.example/jwks"}"#,
        r#"{"alg":"HS256","x5u":"https://attacker.example/cert"}"#,
    ] {
        let token = forge_hs256(header, r#"{"exp":1900000000}"#, attacker);
        assert_eq!(
            code(v.verify(&token, NOW)),
            "ERR_JWT_SIGNATURE_INVALID",
            "{header}"
        );
    }
    let crit = forge_hs256(
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"exp":1900000000}"#,
        SECRET,
    );
    assert_eq!(code(v.verify(&crit, NOW)), "ERR_JWT_CRIT_UNSUPPORTED");
    for (typ, expected) in [
        ("JWT", "OK"),
        ("at+jwt", "OK"),
        ("application/at+JWT", "OK"),
        ("dpop+jwt", "ERR_JWT_TYPE_INVALID"),
        ("JOSE", "ERR_JWT_TYPE_INVALID"),
    ] {
        let token = forge_hs256(
            &format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#),
            r#"{"exp":1900000000}"#,
            SECRET,
        );
        assert_eq!(code(v.verify(&token, NOW)), expected, "{typ}");
    }
}

#[test]
fn jwks_selects_by_kid() {
    let set = format!(
        r#"{{"keys":[{{"kty":"oct","kid":"a","k":"{}"}},{{"kty":"oct","kid":"b","k":"{}"}}]}}"#,
        compact::encode(SECRET),
        compact::encode(b"another-secret-another-secret-xx"),
    );
    let v = verifier_with(PublicKey::parse_set(&set).unwrap(), None).unwrap();
    let token_b = forge_hs256(
        r#"{"alg":"HS256","kid":"b"}"#,
        r#"{"exp":1900000000}"#,
        b"another-secret-another-secret-xx",
    );
    assert_eq!(code(v.verify(&token_b, NOW)), "OK");
    let wrong_kid = forge_hs256(
        r#"{"alg":"HS256","kid":"a"}"#,
        r#"{"exp":1900000000}"#,
        b"another-secret-another-secret-xx",
    );
    assert_eq!(code(v.verify(&wrong_kid, NOW)), "ERR_JWT_SIGNATURE_INVALID");
    let unknown = forge_hs256(
        r#"{"alg":"HS256","kid":"zzz"}"#,
        r#"{"exp":1900000000}"#,
        SECRET,
    );
    assert_eq!(code(v.verify(&unknown, NOW)), "ERR_JWT_KEY_NOT_FOUND");
    let no_kid = forge_hs256(r#"{"alg":"HS256"}"#, r#"{"exp":1900000000}"#, SECRET);
    assert_eq!(
        code(v.verify(&no_kid, NOW)),
        "OK",
        "without kid every fitting key is tried"
    );
    assert_eq!(
        PublicKey::parse_set(r#"{"keys":[]}"#).err().unwrap().code(),
        "ERR_JWT_KEY_INVALID"
    );
    assert_eq!(
        PublicKey::parse_set(r#"[]"#).err().unwrap().code(),
        "ERR_JWT_KEY_INVALID"
    );
}

#[test]
fn weak_and_wrong_keys_are_refused_at_construction() {
    let cases: Vec<(Result<(), Error>, &str)> = vec![
        (
            PrivateKey::parse(KeySource::Pem(key!("rsa1024.pkcs8.pem"))).map(drop),
            "ERR_JWT_KEY_TOO_WEAK",
        ),
        (
            PublicKey::parse(KeySource::Pem(key!("rsa1024.spki.pem"))).map(drop),
            "ERR_JWT_KEY_TOO_WEAK",
        ),
        (
            PublicKey::parse(KeySource::Pem(key!("rsa2048.pkcs8.pem"))).map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PrivateKey::parse(KeySource::Pem(key!("rsa2048.spki.pem"))).map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PublicKey::parse(KeySource::Pem(
                b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            ))
            .map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PublicKey::parse(KeySource::Pem(b"not a pem")).map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PublicKey::parse(KeySource::Jwk(r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#)).map(drop),
            "ERR_JWT_KEY_TOO_WEAK",
        ),
        (
            PublicKey::parse(KeySource::Jwk(
                r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#,
            ))
            .map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PublicKey::parse(KeySource::Jwk(
                r#"{"kty":"oct","k":"c2VjcmV0","alg":"RS256"}"#,
            ))
            .map(drop),
            "ERR_JWT_ALG_UNSUPPORTED",
        ),
        (
            PublicKey::parse(KeySource::Jwk(r#"{"kty":"XYZ"}"#)).map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
        (
            PrivateKey::parse(KeySource::Jwk(
                &A3_KEY.replace(",\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"", ""),
            ))
            .map(drop),
            "ERR_JWT_KEY_INVALID",
        ),
    ];
    for (i, (result, expected)) in cases.into_iter().enumerate() {
        assert_eq!(result.err().map(|e| e.code()), Some(expected), "case {i}");
    }
    let hs_key = PrivateKey::parse(KeySource::Secret(SECRET)).unwrap();
    let err = Signer::new(SignerOptions {
        key: hs_key,
        algorithm: Some(Algorithm::RS256),
        kid: None,
        issuer: None,
        audience: vec![],
        expires_in: 1.0,
        not_before: None,
    })
    .err()
    .unwrap();
    assert_eq!(err.code(), "ERR_JWT_ALG_UNSUPPORTED");
}

#[test]
fn short_hmac_secrets_warn() {
    assert_eq!(
        signer(KeySource::Secret(b"short"), None).warnings().len(),
        1
    );
    assert!(signer(KeySource::Secret(SECRET), None)
        .warnings()
        .is_empty());
    assert_eq!(
        signer(KeySource::Secret(SECRET), Some(Algorithm::HS512))
            .warnings()
            .len(),
        1
    );
    assert_eq!(verifier(KeySource::Secret(b"short")).warnings().len(), 1);
}

#[test]
fn hostile_structure() {
    let v = verifier(KeySource::Secret(SECRET));
    let good = forge_hs256(r#"{"alg":"HS256"}"#, r#"{"exp":1900000000}"#, SECRET);
    let (head, rest) = good.split_once('.').unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("".into(), "ERR_JWT_MALFORMED"),
        (
            "a".repeat(DEFAULT_MAX_TOKEN_LENGTH + 1),
            "ERR_JWT_TOO_LARGE",
        ),
        (format!("{good}.x"), "ERR_JWT_MALFORMED"),
        (
            good.rsplit_once('.').unwrap().0.to_owned(),
            "ERR_JWT_MALFORMED",
        ),
        (format!("{head}=.{rest}"), "ERR_JWT_MALFORMED"),
        (
            format!("{}+.{rest}", &head[..head.len() - 1]),
            "ERR_JWT_MALFORMED",
        ),
        (
            format!("{}.{rest}", compact::encode(b"not json")),
            "ERR_JWT_MALFORMED",
        ),
        (
            format!("{}.{rest}", compact::encode(b"[\"HS256\"]")),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(r#"{"alg":"HS256"}"#, "[1]", SECRET),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(r#"{"alg":"HS256"}"#, "null", SECRET),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(r#"{"alg":"HS256"}"#, &"[".repeat(5000), SECRET),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(
                &format!(
                    r#"{{"alg":"HS256","x":{}1{}}}"#,
                    "[".repeat(4000),
                    "]".repeat(4000)
                ),
                r#"{"exp":1900000000}"#,
                SECRET,
            ),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256"}"#,
                &format!(
                    r#"{{"exp":1900000000,"x":{}1{}}}"#,
                    "[".repeat(4000),
                    "]".repeat(4000)
                ),
                SECRET,
            ),
            "ERR_JWT_MALFORMED",
        ),
        (
            forge_hs256(r#"{"alg":"HS256"}"#, r#"{"exp":"1900000000"}"#, SECRET),
            "ERR_JWT_CLAIM_INVALID",
        ),
        (
            forge_hs256(r#"{"alg":"HS256"}"#, r#"{"exp":1}"#, SECRET),
            "ERR_JWT_EXPIRED",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256"}"#,
                r#"{"exp":1900000000,"nbf":1899999999}"#,
                SECRET,
            ),
            "ERR_JWT_NOT_YET_VALID",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256"}"#,
                &format!(
                    r#"{{"exp":1900000000,"x":{}1{}}}"#,
                    "[".repeat(62),
                    "]".repeat(62)
                ),
                SECRET,
            ),
            "OK",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"exp":1900000000,"x":"{}"}}"#, "[".repeat(200)),
                SECRET,
            ),
            "OK",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256","typ":42}"#,
                r#"{"exp":1900000000}"#,
                SECRET,
            ),
            "ERR_JWT_TYPE_INVALID",
        ),
        (
            forge_hs256(
                r#"{"alg":"HS256","typ":null}"#,
                r#"{"exp":1900000000}"#,
                SECRET,
            ),
            "ERR_JWT_TYPE_INVALID",
        ),
        (
            format!("{}.", good.rsplit_once('.').unwrap().0),
            "ERR_JWT_SIGNATURE_INVALID",
        ),
        (good.clone(), "OK"),
    ];
    for (token, expected) in cases {
        assert_eq!(
            code(v.verify(&token, NOW)),
            expected,
            "{}",
            &token[..token.len().min(80)]
        );
    }
}

#[test]
fn random_garbage_never_panics() {
    let v = verifier(KeySource::Secret(SECRET));
    let alphabet = b"abcXYZ019-_.=+/{}\":, \x00\xff";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for i in 0..(state % 120) {
            bytes.push(alphabet[((state >> (i % 50)) as usize + i as usize) % alphabet.len()]);
        }
        let token = String::from_utf8_lossy(&bytes);
        assert!(v.verify(&token, NOW).is_err());
    }
}

#[test]
fn token_ids_stay_unique_across_random_draws() {
    let s = signer(KeySource::Secret(SECRET), None);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let token = s.sign("{}", NOW).unwrap();
        let payload = compact::decode(token.split('.').nth(1).unwrap(), "").unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert!(seen.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn allow_list_with_a_jwks_names_the_algorithm_not_the_kid() {
    let rsa = PublicKey::parse(KeySource::Pem(key!("rsa2048.spki.pem"))).unwrap();
    let ec = PublicKey::parse(KeySource::Pem(key!("ecp256.spki.pem"))).unwrap();
    let keys = vec![
        PublicKey {
            kid: Some("rsa-1".into()),
            ..rsa
        },
        PublicKey {
            kid: Some("ec-1".into()),
            ..ec
        },
    ];
    let v = verifier_with(keys, Some(vec![Algorithm::ES256])).unwrap();
    let s = Signer::new(SignerOptions {
        key: PrivateKey::parse(KeySource::Pem(key!("rsa2048.pkcs8.pem"))).unwrap(),
        algorithm: None,
        kid: Some("rsa-1".into()),
        issuer: None,
        audience: vec![],
        expires_in: 60.0,
        not_before: None,
    })
    .unwrap();
    let token = s.sign("{}", NOW).unwrap();
    assert_eq!(code(v.verify(&token, NOW)), "ERR_JWT_ALG_NOT_ALLOWED");
    let none = PublicKey::parse(KeySource::Secret(SECRET)).unwrap();
    let err = verifier_with(vec![none], Some(vec![])).err().unwrap();
    assert_eq!(err.code(), "ERR_JWT_ALG_UNSUPPORTED");
}

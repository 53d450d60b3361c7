//! Registered claims (RFC 7519 §4.1): reading them from payload text and checking them
//! against the verifier's policy.

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};

/// The registered claims of a payload, kept as raw JSON so a wrongly typed claim is
/// reported as such instead of being mistaken for an absent one.
#[derive(Deserialize, Default)]
pub struct Registered<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    pub exp: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub nbf: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub iat: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub iss: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub aud: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub jti: Option<&'a RawValue>,
}

/// `null` counts as present (and then fails its type check), unlike serde's `Option`.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

impl<'a> Registered<'a> {
    pub fn parse(text: &'a str, what: &'static str) -> Result<Self> {
        serde_json::from_str(text).map_err(|_| Error::malformed(what))
    }
}

/// A NumericDate: a JSON number of seconds. Strings, `null` and the rest are errors.
pub fn numeric_date(raw: &RawValue, claim: &str) -> Result<f64> {
    let text = raw.get();
    let is_number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
    match text.parse::<f64>() {
        Ok(value) if is_number && value.is_finite() => Ok(value),
        _ => Err(Error::claim_invalid(
            claim,
            format!("\"{claim}\" claim must be a number"),
        )),
    }
}

/// A JSON string's value, borrowed from the payload text unless it holds escapes: `iss`
/// and `aud` are read on every verify, and a plain one needs no copy to be compared.
fn json_string(text: &str) -> Option<Cow<'_, str>> {
    match serde_json::from_str::<&str>(text) {
        Ok(plain) => Some(Cow::Borrowed(plain)),
        Err(_) => serde_json::from_str::<String>(text).ok().map(Cow::Owned),
    }
}

fn string_claim<'a>(raw: &'a RawValue, claim: &str) -> Result<Cow<'a, str>> {
    json_string(raw.get())
        .ok_or_else(|| Error::claim_invalid(claim, format!("\"{claim}\" claim must be a string")))
}

fn audience_claim(raw: &RawValue) -> Result<Vec<Cow<'_, str>>> {
    if let Some(one) = json_string(raw.get()) {
        return Ok(vec![one]);
    }
    serde_json::from_str::<Vec<String>>(raw.get())
        .map(|all| all.into_iter().map(Cow::Owned).collect())
        .map_err(|_| {
            Error::claim_invalid(
                "aud",
                "\"aud\" claim must be a string or an array of strings",
            )
        })
}

/// What the verifier demands of the claims.
#[derive(Debug, Clone, Default)]
pub struct ClaimsPolicy {
    pub require_expiration: bool,
    pub clock_tolerance: f64,
    pub max_token_age: Option<f64>,
    pub issuers: Vec<String>,
    pub audiences: Vec<String>,
    pub required_claims: Vec<String>,
}

/// When a verified token stops being valid under this policy, for caching.
pub type ValidUntil = Option<f64>;

impl ClaimsPolicy {
    /// Checks `payload` at time `now` (seconds); returns when the result stops holding.
    pub fn check(&self, payload: &str, now: f64) -> Result<ValidUntil> {
        let claims = Registered::parse(payload, "payload is not a valid JSON object")?;
        let tolerance = self.clock_tolerance;
        let mut valid_until: ValidUntil = None;

        let exp = claims.exp.map(|raw| numeric_date(raw, "exp")).transpose()?;
        let nbf = claims.nbf.map(|raw| numeric_date(raw, "nbf")).transpose()?;
        let iat = claims.iat.map(|raw| numeric_date(raw, "iat")).transpose()?;

        match exp {
            Some(exp) => {
                if now >= exp + tolerance {
                    return Err(Error::JwtExpired("Token has expired".into()));
                }
                valid_until = Some(exp + tolerance);
            }
            None if self.require_expiration => return Err(Error::claim_missing("exp")),
            None => {}
        }
        if let Some(nbf) = nbf {
            if nbf > now + tolerance {
                return Err(Error::JwtNotYetValid);
            }
        }
        if let Some(max_age) = self.max_token_age {
            let iat = iat.ok_or_else(|| Error::claim_missing("iat"))?;
            if iat > now + tolerance {
                return Err(Error::claim_invalid(
                    "iat",
                    "\"iat\" claim is in the future",
                ));
            }
            let deadline = iat + max_age + tolerance;
            if now > deadline {
                return Err(Error::JwtExpired("Token is older than maxTokenAge".into()));
            }
            valid_until = Some(valid_until.map_or(deadline, |v| v.min(deadline)));
        }
        if !self.issuers.is_empty() {
            let raw = claims.iss.ok_or_else(|| Error::claim_missing("iss"))?;
            let iss = string_claim(raw, "iss")?;
            if !self.issuers.iter().any(|expected| *expected == iss) {
                return Err(Error::claim_invalid(
                    "iss",
                    "\"iss\" claim does not match the expected issuer",
                ));
            }
        }
        if !self.audiences.is_empty() {
            let raw = claims.aud.ok_or_else(|| Error::claim_missing("aud"))?;
            let auds = audience_claim(raw)?;
            if !auds
                .iter()
                .any(|a| self.audiences.iter().any(|expected| expected == a))
            {
                return Err(Error::claim_invalid(
                    "aud",
                    "\"aud\" claim does not match the expected audience",
                ));
            }
        }
        if !self.required_claims.is_empty() {
            let present: HashMap<std::borrow::Cow<'_, str>, IgnoredAny> =
                serde_json::from_str(payload)
                    .map_err(|_| Error::malformed("payload is not a valid JSON object"))?;
            if let Some(missing) = self
                .required_claims
                .iter()
                .find(|c| !present.contains_key(c.as_str()))
            {
                return Err(Error::claim_missing(missing));
            }
        }
        Ok(valid_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ClaimsPolicy {
        ClaimsPolicy {
            require_expiration: true,
            ..Default::default()
        }
    }

    #[test]
    fn expiry_and_tolerance() {
        let p = policy();
        assert_eq!(p.check(r#"{"exp":100}"#, 99.0).unwrap(), Some(100.0));
        assert_eq!(
            p.check(r#"{"exp":100}"#, 100.0).unwrap_err().code(),
            "ERR_JWT_EXPIRED"
        );
        let lenient = ClaimsPolicy {
            clock_tolerance: 5.0,
            ..policy()
        };
        assert!(lenient.check(r#"{"exp":100}"#, 104.9).is_ok());
        assert!(lenient.check(r#"{"exp":100}"#, 105.0).is_err());
        assert_eq!(
            p.check(r#"{}"#, 1.0).unwrap_err().code(),
            "ERR_JWT_CLAIM_MISSING"
        );
        let optional = ClaimsPolicy {
            require_expiration: false,
            ..policy()
        };
        assert_eq!(optional.check(r#"{}"#, 1.0).unwrap(), None);
    }

    #[test]
    fn time_claims_must_be_numbers() {
        let p = policy();
        for payload in [
            r#"{"exp":"9999999999"}"#,
            r#"{"exp":null}"#,
            r#"{"exp":[1]}"#,
            r#"{"exp":1e999}"#,
        ] {
            let err = p.check(payload, 1.0).unwrap_err();
            assert_eq!(
                (err.code(), err.claim()),
                ("ERR_JWT_CLAIM_INVALID", Some("exp")),
                "{payload}"
            );
        }
        let err = p.check(r#"{"exp":100,"nbf":"0"}"#, 1.0).unwrap_err();
        assert_eq!(err.claim(), Some("nbf"));
        assert!(p.check(r#"{"exp":1.5e3}"#, 1.0).is_ok());
    }

    #[test]
    fn not_before() {
        let p = policy();
        assert_eq!(
            p.check(r#"{"exp":100,"nbf":50}"#, 49.0).unwrap_err().code(),
            "ERR_JWT_NOT_YET_VALID"
        );
        assert!(p.check(r#"{"exp":100,"nbf":50}"#, 50.0).is_ok());
    }

    #[test]
    fn max_token_age() {
        let p = ClaimsPolicy {
            max_token_age: Some(10.0),
            ..policy()
        };
        assert_eq!(
            p.check(r#"{"exp":100,"iat":50}"#, 55.0).unwrap(),
            Some(60.0)
        );
        assert_eq!(
            p.check(r#"{"exp":100,"iat":50}"#, 61.0).unwrap_err().code(),
            "ERR_JWT_EXPIRED"
        );
        assert_eq!(
            p.check(r#"{"exp":100}"#, 55.0).unwrap_err().claim(),
            Some("iat")
        );
        assert_eq!(
            p.check(r#"{"exp":100,"iat":70}"#, 55.0).unwrap_err().code(),
            "ERR_JWT_CLAIM_INVALID"
        );
    }

    #[test]
    fn issuer_and_audience() {
        let p = ClaimsPolicy {
            issuers: vec!["https://a".into()],
            audiences: vec!["api".into(), "web".into()],
            ..policy()
        };
        assert!(p
            .check(r#"{"exp":9,"iss":"https://a","aud":["x","web"]}"#, 1.0)
            .is_ok());
        assert!(p
            .check(r#"{"exp":9,"iss":"https://a","aud":"api"}"#, 1.0)
            .is_ok());
        let err = p
            .check(r#"{"exp":9,"iss":"https://b","aud":"api"}"#, 1.0)
            .unwrap_err();
        assert_eq!(
            (err.code(), err.claim()),
            ("ERR_JWT_CLAIM_INVALID", Some("iss"))
        );
        let err = p
            .check(r#"{"exp":9,"iss":"https://a","aud":"other"}"#, 1.0)
            .unwrap_err();
        assert_eq!(err.claim(), Some("aud"));
        let err = p.check(r#"{"exp":9,"aud":"api"}"#, 1.0).unwrap_err();
        assert_eq!(
            (err.code(), err.claim()),
            ("ERR_JWT_CLAIM_MISSING", Some("iss"))
        );
        let err = p
            .check(r#"{"exp":9,"iss":"https://a","aud":[1]}"#, 1.0)
            .unwrap_err();
        assert_eq!(
            (err.code(), err.claim()),
            ("ERR_JWT_CLAIM_INVALID", Some("aud"))
        );
    }

    #[test]
    fn required_claims() {
        let p = ClaimsPolicy {
            required_claims: vec!["sub".into(), "tenant".into()],
            ..policy()
        };
        assert!(p.check(r#"{"exp":9,"sub":"u","tenant":"t"}"#, 1.0).is_ok());
        let err = p.check(r#"{"exp":9,"sub":"u"}"#, 1.0).unwrap_err();
        assert_eq!(
            (err.code(), err.claim()),
            ("ERR_JWT_CLAIM_MISSING", Some("tenant"))
        );
    }

    #[test]
    fn duplicate_registered_claims_are_malformed() {
        let err = policy().check(r#"{"exp":9,"exp":1}"#, 1.0).unwrap_err();
        assert_eq!(err.code(), "ERR_JWT_MALFORMED");
    }
}

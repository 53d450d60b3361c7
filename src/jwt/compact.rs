//! The JWS compact serialization (RFC 7515 §7.1): splitting, strict base64url, and
//! the parts of the protected header a verifier reads.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// The three segments of a compact JWS, still encoded.
pub struct Segments<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`, the signing input.
    pub signing_input: &'a str,
}

pub fn split(token: &str) -> Result<Segments<'_>> {
    let mut parts = token.splitn(4, '.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(if token.matches('.').count() == 4 {
            Error::malformed("encrypted tokens (JWE) are not supported")
        } else {
            Error::malformed("expected three dot-separated segments")
        });
    };
    // An empty signature is well-formed (an unsecured JWS); the algorithm check refuses it.
    if header.is_empty() || payload.is_empty() {
        return Err(Error::malformed("empty header or payload"));
    }
    let signing_input = &token[..header.len() + 1 + payload.len()];
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Strict base64url: no padding, no `+` or `/`, no stray trailing bits.
pub fn decode(segment: &str, what: &'static str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Error::malformed(what))
}

/// Like `decode`, into a caller's buffer; for signatures, whose size is bounded.
pub fn decode_into<'b>(segment: &str, buffer: &'b mut [u8]) -> Result<&'b [u8]> {
    match URL_SAFE_NO_PAD.decode_slice(segment, buffer) {
        Ok(len) => Ok(&buffer[..len]),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            Err(Error::malformed("signature is too long"))
        }
        Err(_) => Err(Error::malformed("signature is not base64url")),
    }
}

pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Deeper JSON than this is refused: no real header or claims set comes close, and the
/// JavaScript side walks payloads recursively.
pub const MAX_JSON_DEPTH: usize = 64;

/// JSON text whose top level is an object (serde would also read a struct from an array),
/// nested no deeper than `MAX_JSON_DEPTH`.
pub fn require_object<'a>(bytes: &'a [u8], what: &'static str) -> Result<&'a str> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::malformed(what))?;
    if !text.trim_start().starts_with('{') {
        return Err(Error::malformed(what));
    }
    if !nesting_within(text.as_bytes(), MAX_JSON_DEPTH) {
        return Err(Error::malformed("JSON is nested too deep"));
    }
    Ok(text)
}

/// Whether brackets outside strings nest at most `max` deep. Syntax is left to the parser.
fn nesting_within(json: &[u8], max: usize) -> bool {
    // Depth never exceeds the number of opening brackets, wherever they are; counting them
    // is a branch-free pass that settles nearly every payload (a flat claims set opens one)
    // without the byte-by-byte walk below, which every verify would otherwise pay.
    let openers: usize = json
        .iter()
        .map(|&byte| usize::from(byte == b'{' || byte == b'['))
        .sum();
    if openers <= max {
        return true;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// The header members that matter. Everything else, including `jwk`, `jku`, `x5u` and
/// `x5c`, is ignored on purpose: keys come from configuration, never from the token.
#[derive(Deserialize)]
pub struct Header<'a> {
    #[serde(borrow)]
    pub alg: Cow<'a, str>,
    /// Raw, so a `typ` that is not a string is reported as a bad type, not bad JSON.
    #[serde(borrow, default, deserialize_with = "crate::jwt::claims::present")]
    pub typ: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub kid: Option<Cow<'a, str>>,
    #[serde(default)]
    pub crit: Option<IgnoredAny>,
}

pub fn parse_header(text: &str) -> Result<Header<'_>> {
    serde_json::from_str(text).map_err(|e| {
        if e.is_data() && e.to_string().contains("missing field `alg`") {
            Error::malformed("header has no \"alg\"")
        } else {
            Error::malformed("header is not a valid JSON object")
        }
    })
}

/// A `typ` header value (raw JSON) is acceptable when it is a string naming an accepted type.
pub fn accepted_type_value(raw: &RawValue) -> bool {
    serde_json::from_str::<Cow<'_, str>>(raw.get()).is_ok_and(|typ| accepted_type(&typ))
}

/// `typ` may be absent, `JWT`, or `at+jwt` (RFC 9068), compared as media types:
/// case-insensitive, with an optional `application/` prefix (RFC 7515 §4.1.9).
pub fn accepted_type(typ: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    bare.eq_ignore_ascii_case("jwt") || bare.eq_ignore_ascii_case("at+jwt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_three_segments_only() {
        assert!(split("a.b.c").is_ok());
        assert!(
            split("a.b.").is_ok(),
            "an empty signature is left to the algorithm check"
        );
        for bad in ["a.b", "a.b.c.d", "a..c", ".b.c", ""] {
            assert_eq!(
                split(bad).err().unwrap().code(),
                "ERR_JWT_MALFORMED",
                "{bad:?}"
            );
        }
        assert!(split("a.b.c.d.e")
            .err()
            .unwrap()
            .to_string()
            .contains("JWE"));
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(decode("eyJ9", "x").unwrap(), b"{\"}");
        for bad in ["eyJ9=", "ab+/", "a", "ab$c"] {
            assert!(decode(bad, "x").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn types() {
        for ok in [
            "JWT",
            "jwt",
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/JWT",
        ] {
            assert!(accepted_type(ok), "{ok}");
        }
        for bad in ["JOSE", "dpop+jwt", "application/", "", "secevent+jwt"] {
            assert!(!accepted_type(bad), "{bad}");
        }
    }

    #[test]
    fn header_must_be_an_object_with_alg() {
        assert!(require_object(b"[\"HS256\"]", "x").is_err());
        let h = parse_header(r#"{"alg":"HS256","jwk":{"kty":"oct"},"kid":"a\u0062"}"#).unwrap();
        assert_eq!(h.alg, "HS256");
        assert_eq!(h.kid.as_deref(), Some("ab"));
        assert!(parse_header(r#"{"typ":"JWT"}"#).is_err());
        assert!(parse_header(r#"{"alg":5}"#).is_err());
        assert!(parse_header(r#"{"alg":"HS256","alg":"none"}"#).is_err());
    }

    #[test]
    fn nesting_depth_not_bracket_count() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // Few brackets: settled by counting them.
        assert!(nesting_within(nested(64).as_bytes(), 64));
        // More brackets than the limit, all nested: the walk refuses.
        assert!(!nesting_within(nested(65).as_bytes(), 64));
        // More brackets than the limit, side by side or inside strings: the walk allows.
        let siblings = format!("{{\"a\":[{}]}}", vec!["{}"; 100].join(","));
        assert!(nesting_within(siblings.as_bytes(), 64));
        let quoted = format!("{{\"a\":\"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(nesting_within(quoted.as_bytes(), 64));
        // A quote escaped inside a string does not end it; the brackets after it still count.
        let escaped = format!("{{\"a\":\"\\\"\",\"b\":{}}}", nested(70));
        assert!(!nesting_within(escaped.as_bytes(), 64));
        assert!(require_object(escaped.as_bytes(), "x").is_err());
    }
}

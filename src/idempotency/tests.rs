//! Fingerprints, the stored-response format and the record's rules on the memory store with
//! injected time; the node suite runs the same rules against Redis.

use std::sync::Arc;

use super::*;
use crate::store::MemoryStore;

fn json(method: &str, path: &str, text: &str) -> String {
    fingerprint(method, path, Body::Json(text))
}

fn canonical(text: &str) -> String {
    let mut out = Vec::new();
    canonical::canonicalize(text, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn fingerprints_are_lowercase_hex_sha256() {
    let f = fingerprint("POST", "/orders", Body::None);
    assert_eq!(f.len(), 64);
    assert!(f
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(f, fingerprint("POST", "/orders", Body::None));
}

#[test]
fn key_order_and_whitespace_do_not_matter_at_any_depth() {
    let a = r#"{"b":1,"a":{"y":[1,{"q":true,"p":null}],"x":"s"}}"#;
    let b = r#"{ "a" : { "x" : "s", "y" : [ 1, { "p" : null, "q" : true } ] }, "b" : 1 }"#;
    assert_eq!(json("POST", "/p", a), json("POST", "/p", b));
    assert_eq!(
        canonical(b),
        r#"{"a":{"x":"s","y":[1,{"p":null,"q":true}]},"b":1}"#
    );
    // Array order does matter.
    assert_ne!(json("POST", "/p", "[1,2]"), json("POST", "/p", "[2,1]"));
    // So do values and nesting.
    assert_ne!(
        json("POST", "/p", r#"{"a":1}"#),
        json("POST", "/p", r#"{"a":"1"}"#)
    );
    assert_ne!(
        json("POST", "/p", r#"{"a":{"b":1}}"#),
        json("POST", "/p", r#"{"a":[{"b":1}]}"#)
    );
}

#[test]
fn unicode_keys_sort_by_their_bytes_and_strings_keep_their_characters() {
    assert_eq!(
        canonical(r#"{"é":1,"z":2,"😀":3,"a":4}"#),
        r#"{"a":4,"z":2,"é":1,"😀":3}"#
    );
    // An escape and the character it stands for are the same string.
    assert_eq!(
        json("POST", "/", r#"{"name":"\u00e9\ud83d\ude00"}"#),
        json("POST", "/", r#"{"name":"é😀"}"#)
    );
    assert_ne!(
        json("POST", "/", r#"{"name":"e\u0301"}"#),
        json("POST", "/", r#"{"name":"é"}"#),
        "no Unicode normalisation: the bytes differ"
    );
    assert_eq!(canonical(r#""a\"b\\c\n\u0001""#), r#""a\"b\\c\n\u0001""#);
}

#[test]
fn numbers_compare_as_the_values_javascript_holds() {
    assert_eq!(
        canonical("[1, 1.0, 1e0, 10e-1, -0, 0.0, 1.5, 1e21, -2.5e-7]"),
        "[1,1,1,1,0,0,1.5,1000000000000000000000,-0.00000025]"
    );
    assert_eq!(
        json("PUT", "/", r#"{"n":100}"#),
        json("PUT", "/", r#"{"n":1e2}"#)
    );
    assert_ne!(
        json("PUT", "/", r#"{"n":100}"#),
        json("PUT", "/", r#"{"n":101}"#)
    );
    // 2^53 + 1 is not a JavaScript number: it is 2^53 there, and here.
    assert_eq!(canonical("9007199254740993"), canonical("9007199254740992"));
}

#[test]
fn method_is_case_free_path_and_body_kind_are_not() {
    let none = fingerprint("post", "/a", Body::None);
    assert_eq!(none, fingerprint("POST", "/a", Body::None));
    assert_ne!(none, fingerprint("PUT", "/a", Body::None));
    assert_ne!(none, fingerprint("POST", "/A", Body::None));
    assert_ne!(none, fingerprint("POST", "/a?x=1", Body::None));
    // The string "{}", the object {} and no body at all are three requests.
    let text = fingerprint("POST", "/a", Body::Bytes(b"{}"));
    let object = fingerprint("POST", "/a", Body::Json("{}"));
    let empty = fingerprint("POST", "/a", Body::Bytes(b""));
    assert!(text != object && text != none && object != none && empty != none);
    // A body that is not valid JSON to serde_json still gets a fingerprint of its own.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(json("POST", "/a", &deep), json("POST", "/a", &deep));
    assert_ne!(
        json("POST", "/a", &deep),
        fingerprint("POST", "/a", Body::Bytes(deep.as_bytes()))
    );
}

#[test]
fn parts_are_framed_so_moving_bytes_between_them_changes_the_fingerprint() {
    assert_ne!(
        fingerprint("POST", "/ab", Body::Bytes(b"c")),
        fingerprint("POST", "/a", Body::Bytes(b"bc"))
    );
    assert_ne!(
        fingerprint("POST", "/a", Body::None),
        fingerprint("POS", "T/a", Body::None)
    );
    assert_ne!(
        fingerprint("POST", "/a", Body::Bytes(b"none")),
        fingerprint("POST", "/a", Body::None)
    );
}

#[test]
fn stored_responses_round_trip_and_corruption_is_a_store_failure() {
    let response = StoredResponse {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-multi".into(), "a".into()),
            ("x-multi".into(), "é".into()),
        ],
        body: b"{\"id\":1}\0\xff".to_vec(),
    };
    let blob = response.encode();
    assert_eq!(StoredResponse::decode(&blob).unwrap(), response);
    let empty = StoredResponse {
        status: 204,
        headers: vec![],
        body: vec![],
    };
    assert_eq!(StoredResponse::decode(&empty.encode()).unwrap(), empty);
    for bad in [&blob[..1], &blob[..7], &blob[..12]] {
        assert_eq!(
            StoredResponse::decode(bad).unwrap_err().code(),
            "ERR_STORE_FAILED"
        );
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn idempotency(ttl: u64, lock_ttl: u64) -> Idempotency {
    let store = Store::Memory(Arc::new(MemoryStore::new()));
    Idempotency::new(store, IdempotencyConfig { ttl, lock_ttl }).unwrap()
}

fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
    result.unwrap_err().code()
}

fn lease(begun: Begun) -> String {
    match begun {
        Begun::Started { lease } => lease,
        other => panic!("expected a start, got {other:?}"),
    }
}

#[test]
fn the_first_request_runs_and_retries_replay_until_ttl() {
    block_on(async {
        let idem = idempotency(1000, 500);
        let response = StoredResponse {
            status: 200,
            headers: vec![("x".into(), "1".into())],
            body: b"ok".to_vec(),
        };
        let lease = lease(idem.begin_at("key", "fp", 0).await.unwrap());
        assert_eq!(lease.len(), 24);
        assert_eq!(
            code(idem.begin_at("key", "fp", 1).await),
            "ERR_IDEMPOTENCY_IN_PROGRESS"
        );
        assert_eq!(
            code(idem.begin_at("key", "other", 2).await),
            "ERR_IDEMPOTENCY_MISMATCH"
        );
        assert!(idem
            .complete_at("key", &lease, &response.encode(), 10)
            .await
            .unwrap());
        assert_eq!(
            idem.begin_at("key", "fp", 1009).await.unwrap(),
            Begun::Replay(response.clone())
        );
        assert_eq!(
            code(idem.begin_at("key", "other", 1009).await),
            "ERR_IDEMPOTENCY_MISMATCH"
        );
        // ttl counts from completion.
        assert!(matches!(
            idem.begin_at("key", "other", 1010).await.unwrap(),
            Begun::Started { .. }
        ));
    });
}

#[test]
fn leases_are_random_and_a_lost_lease_cannot_complete() {
    block_on(async {
        let idem = idempotency(1000, 100);
        let first = lease(idem.begin_at("key", "fp", 0).await.unwrap());
        let second = lease(idem.begin_at("key", "fp", 100).await.unwrap());
        assert_ne!(first, second);
        assert!(!idem
            .complete_at("key", &first, b"\0\xc8\0\0\0\0", 101)
            .await
            .unwrap());
        assert!(!idem.abort_at("key", &first, 101).await.unwrap());
        assert!(idem.abort_at("key", &second, 102).await.unwrap());
        lease(idem.begin_at("key", "fp", 103).await.unwrap());
    });
}

#[test]
fn keys_and_options_are_checked() {
    block_on(async {
        let idem = idempotency(1000, 1000);
        assert_eq!(
            code(idem.begin_at("", "fp", 0).await),
            "ERR_IDEMPOTENCY_KEY_INVALID"
        );
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        let error = idem.begin_at(&long, "fp", 0).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "Idempotency key must be 1 to 1024 bytes of UTF-8"
        );
        lease(idem.begin_at(&"é".repeat(512), "fp", 0).await.unwrap());
        assert_eq!(
            code(idem.complete_at("", "l", b"", 0).await),
            "ERR_IDEMPOTENCY_KEY_INVALID"
        );
    });
    assert_eq!(
        record_key("a").unwrap(),
        hex(digest::digest(&SHA256, b"a").as_ref())
    );
    let store = Store::Memory(Arc::new(MemoryStore::new()));
    for (ttl, lock_ttl) in [(0, 1), (1, 0), (MAX_TTL_MS + 1, 1)] {
        let error = Idempotency::new(store.clone(), IdempotencyConfig { ttl, lock_ttl })
            .err()
            .unwrap();
        assert_eq!(error.code(), "ERR_INVALID_OPTION");
    }
}

/// The canonical form by way of a serde_json value tree: what `canonicalize` must equal.
fn reference_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            let f = n.as_f64().unwrap();
            out.push_str(&(if f == 0.0 { 0.0 } else { f }).to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                reference_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(String, &Value)> = map
                .iter()
                .map(|(k, v)| (serde_json::to_string(k).unwrap(), v))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&key);
                out.push(':');
                reference_canonical(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn next(seed: &mut u64, n: u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed % n
}

/// Random JSON text with random key order, whitespace, escapes and number spellings.
fn random_json(seed: &mut u64, depth: usize, out: &mut String) {
    let space = [" ", "", "\n  ", "\t"];
    match if depth > 4 {
        next(seed, 5)
    } else {
        next(seed, 7)
    } {
        0 => out.push_str(["true", "false", "null"][next(seed, 3) as usize]),
        1 => out.push_str(
            [
                "0",
                "-0",
                "12",
                "1.50",
                "1e3",
                "-2.5E-3",
                "123456789012345678",
                "3.0",
            ][next(seed, 8) as usize],
        ),
        2 | 3 => out.push_str(
            [
                "\"a\"",
                "\"\\u00e9t\\u00e9\"",
                "\"é\"",
                "\"q\\\"x\\\\y\\n\"",
                "\"\\ud83d\\ude00\"",
                "\"\\/\"",
            ][next(seed, 6) as usize],
        ),
        4 => out.push_str("\"plain text\""),
        5 => {
            out.push('[');
            for i in 0..next(seed, 4) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space[next(seed, 4) as usize]);
                random_json(seed, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let keys = [
                "\"b\"",
                "\"a\"",
                "\"é\"",
                "\"\\u0041\"",
                "\"a\\\"b\"",
                "\"zz\"",
                "\"\"",
            ];
            let count = next(seed, 5);
            let start = next(seed, keys.len() as u64);
            for i in 0..count {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space[next(seed, 4) as usize]);
                out.push_str(keys[((start + i * 3) % keys.len() as u64) as usize]);
                out.push_str(space[next(seed, 4) as usize]);
                out.push(':');
                random_json(seed, depth + 1, out);
            }
            out.push_str(space[next(seed, 4) as usize]);
            out.push('}');
        }
    }
}

#[test]
fn canonical_form_written_from_the_text_equals_the_value_tree_form() {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..5000 {
        let mut text = String::new();
        random_json(&mut seed, 0, &mut text);
        let mut expected = String::new();
        reference_canonical(&serde_json::from_str(&text).unwrap(), &mut expected);
        assert_eq!(canonical(&text), expected, "{text}");
    }
}

#[test]
fn text_that_is_not_one_json_value_has_no_canonical_form() {
    let deep_ok = format!(
        "{}{}",
        "[".repeat(canonical::MAX_DEPTH + 1),
        "]".repeat(canonical::MAX_DEPTH + 1)
    );
    assert!(canonical::canonicalize(&deep_ok, &mut Vec::new()).is_some());
    let too_deep = format!(
        "{}{}",
        "[".repeat(canonical::MAX_DEPTH + 2),
        "]".repeat(canonical::MAX_DEPTH + 2)
    );
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "[1 2]",
        "{\"a\"}",
        "{\"a\":1,}",
        "{a:1}",
        "01",
        "1.",
        "-",
        "1e",
        ".5",
        "tru",
        "nul",
        "\"abc",
        "\"a\u{1}\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "1 2",
        "{} x",
        "[\"a\"]]",
        &too_deep,
    ] {
        let mut out = b"kept".to_vec();
        assert!(canonical::canonicalize(bad, &mut out).is_none(), "{bad:?}");
        assert_eq!(out, b"kept", "{bad:?} left output behind");
    }
    // Repeated keys (never from JSON.stringify) keep both members, in a fixed order.
    assert_eq!(
        canonical(r#"{"b":1,"a":2,"a":1}"#),
        r#"{"a":2,"a":1,"b":1}"#
    );
}

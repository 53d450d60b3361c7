//! Published vectors (RFC 9106, the Argon2 reference implementation's PHC strings, bcrypt
//! hashes from other implementations), every malformed-hash case with its code, limits,
//! rehash advice and the policy.

use super::argon::{Algorithm, Version};

use super::argon::{compute, Argon2Input};
use super::*;

/// Small costs, so the suite stays fast; defaults are used where they are the point.
const FAST: HashOptions = HashOptions {
    memory_cost: 1024,
    time_cost: 1,
    parallelism: 1,
};

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn code(result: Result<impl std::fmt::Debug>) -> &'static str {
    result.expect_err("expected an error").code()
}

/// RFC 9106 §5: 32 KiB, 3 passes, 4 lanes, secret and associated data.
fn rfc9106(algorithm: Algorithm) -> Vec<u8> {
    let mut out = [0u8; 32];
    compute(
        &Argon2Input {
            algorithm,
            version: Version::V0x13,
            memory_cost: 32,
            time_cost: 3,
            parallelism: 4,
            password: &[0x01; 32],
            salt: &[0x02; 16],
            secret: Some(&[0x03; 8]),
            data: &[0x04; 12],
        },
        &mut out,
    )
    .unwrap();
    out.to_vec()
}

#[test]
fn rfc9106_argon2id_vector() {
    assert_eq!(
        rfc9106(Algorithm::Argon2id),
        hex("0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59")
    );
}

#[test]
fn rfc9106_argon2i_and_argon2d_vectors() {
    assert_eq!(
        rfc9106(Algorithm::Argon2i),
        hex("c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8")
    );
    assert_eq!(
        rfc9106(Algorithm::Argon2d),
        hex("51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb")
    );
}

/// A thread's kept Argon2 memory grows, serves smaller hashes and is bypassed above the kept
/// limit without changing any tag: the same sizes in the opposite order on a new thread (new
/// memory) give the same tags.
#[test]
fn kept_memory_does_not_change_tags() {
    fn tag(memory_cost: u32) -> [u8; 32] {
        let mut out = [0u8; 32];
        compute(
            &Argon2Input {
                algorithm: Algorithm::Argon2id,
                version: Version::V0x13,
                memory_cost,
                time_cost: 1,
                parallelism: 1,
                password: b"password",
                salt: b"somesaltsomesalt",
                secret: None,
                data: &[],
            },
            &mut out,
        )
        .unwrap();
        out
    }
    // KiB: grow, shrink, over the 64 MiB kept limit, back under it.
    let sizes = [4096, 64, 66 * 1024, 1024, 8192];
    let here: Vec<_> = sizes.iter().map(|&m| tag(m)).collect();
    let fresh: Vec<_> = std::thread::spawn(move || sizes.iter().rev().map(|&m| tag(m)).collect())
        .join()
        .unwrap();
    let fresh: Vec<_> = fresh.into_iter().rev().collect();
    assert_eq!(here, fresh);
    for (i, a) in here.iter().enumerate() {
        assert!(
            here[i + 1..].iter().all(|b| a != b),
            "sizes must give different tags"
        );
    }
}

#[test]
fn rfc9106_vector_as_a_phc_string_with_secret_and_data() {
    let phc = "$argon2id$v=19$m=32,t=3,p=4,data=BAQEBAQEBAQEBAQE$AgICAgICAgICAgICAgICAg$DWQN9Y14dmwIwDejSotTydAe8EUtdbZetSUg6WsB5lk";
    let hash = PasswordHash::parse(phc).unwrap();
    let PasswordHash::Argon2(argon) = &hash else {
        panic!("not Argon2")
    };
    assert_eq!(argon.to_phc(), phc, "canonical form round-trips");
    assert!(hash.verify(&[0x01; 32], Some(&[0x03; 8])).unwrap());
    assert!(!hash.verify(&[0x01; 32], Some(&[0x03; 9])).unwrap());
    assert!(!hash.verify(&[0x01; 32], None).unwrap());
}

/// PHC strings from the Argon2 reference implementation's test.c, password "password".
#[test]
fn reference_implementation_phc_strings() {
    for phc in [
        "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E",
        "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8",
        // Version 0x10, written with and without `v=16`.
        "$argon2i$v=16$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY",
        "$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs",
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
    ] {
        assert!(verify_password(phc, b"password", None).unwrap(), "{phc}");
        assert!(!verify_password(phc, b"passwore", None).unwrap(), "{phc}");
    }
    // The reference's "mismatching hash" case: encoded for "passwore".
    let phc =
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$8iIuixkI73Js3G1uMbezQXD0b8LG4SXGsOwoQkdAQIM";
    assert!(!verify_password(phc, b"password", None).unwrap());
}

#[test]
fn parameters_in_any_order() {
    // node-argon2 writes m, p, t; the canonical form is m, t, p.
    let canonical = hash_password(b"pw", &FAST, None).unwrap();
    let reordered = canonical.replace("m=1024,t=1,p=1", "m=1024,p=1,t=1");
    assert_ne!(canonical, reordered);
    assert!(verify_password(&reordered, b"pw", None).unwrap());
    let PasswordHash::Argon2(parsed) = PasswordHash::parse(&reordered).unwrap() else {
        panic!()
    };
    assert_eq!(parsed.to_phc(), canonical);
    let with_data = "$argon2id$v=19$data=BAQEBAQEBAQEBAQE,p=4,t=3,m=32$AgICAgICAgICAgICAgICAg$DWQN9Y14dmwIwDejSotTydAe8EUtdbZetSUg6WsB5lk";
    assert!(verify_password(with_data, &[0x01; 32], Some(&[0x03; 8])).unwrap());
}

#[test]
fn hash_then_verify() {
    let phc = hash_password(b"correct horse", &FAST, None).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{phc}");
    assert!(verify_password(&phc, b"correct horse", None).unwrap());
    assert!(!verify_password(&phc, b"correct horsf", None).unwrap());
    let PasswordHash::Argon2(parsed) = PasswordHash::parse(&phc).unwrap() else {
        panic!()
    };
    assert_eq!((parsed.salt.len(), parsed.output.len()), (16, 32));
    assert_eq!(parsed.to_phc(), phc);
    // Fresh salt each time.
    assert_ne!(phc, hash_password(b"correct horse", &FAST, None).unwrap());
}

#[test]
fn default_costs_are_owasp() {
    assert_eq!(
        HashOptions::default(),
        HashOptions {
            memory_cost: 19456,
            time_cost: 2,
            parallelism: 1
        }
    );
    let phc = hash_password(b"pw", &HashOptions::default(), None).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(verify_password(&phc, b"pw", None).unwrap());
}

#[test]
fn secret_is_a_pepper() {
    let phc = hash_password(b"pw", &FAST, Some(b"pepper")).unwrap();
    assert!(verify_password(&phc, b"pw", Some(b"pepper")).unwrap());
    assert!(!verify_password(&phc, b"pw", Some(b"peppes")).unwrap());
    assert!(!verify_password(&phc, b"pw", None).unwrap());
    assert_eq!(
        code(hash_password(b"pw", &FAST, Some(b""))),
        "ERR_INVALID_OPTION"
    );
    let long = vec![7u8; MAX_SECRET_BYTES + 1];
    assert_eq!(
        code(hash_password(b"pw", &FAST, Some(&long))),
        "ERR_INVALID_OPTION"
    );
    assert_eq!(
        code(verify_password(&phc, b"pw", Some(b""))),
        "ERR_INVALID_OPTION"
    );
}

#[test]
fn empty_and_oversized_passwords() {
    assert_eq!(code(hash_password(b"", &FAST, None)), "ERR_PASSWORD_EMPTY");
    let max = vec![b'a'; MAX_PASSWORD_BYTES];
    let phc = hash_password(&max, &FAST, None).unwrap();
    assert!(verify_password(&phc, &max, None).unwrap());
    let over = vec![b'a'; MAX_PASSWORD_BYTES + 1];
    assert_eq!(
        code(hash_password(&over, &FAST, None)),
        "ERR_PASSWORD_TOO_LARGE"
    );
    assert_eq!(
        code(verify_password(&phc, &over, None)),
        "ERR_PASSWORD_TOO_LARGE"
    );
    assert_eq!(code(verify_password(&phc, b"", None)), "ERR_PASSWORD_EMPTY");
    assert_eq!(
        Error::PasswordTooLarge(MAX_PASSWORD_BYTES).to_string(),
        "Password is larger than the 4096 byte limit"
    );
}

#[test]
fn hash_options_are_bounded() {
    for bad in [
        HashOptions {
            memory_cost: 7,
            ..FAST
        },
        HashOptions {
            memory_cost: 15,
            parallelism: 2,
            ..FAST
        },
        HashOptions {
            memory_cost: limits::MAX_MEMORY_COST + 1,
            ..FAST
        },
        HashOptions {
            time_cost: 0,
            ..FAST
        },
        HashOptions {
            time_cost: limits::MAX_TIME_COST + 1,
            ..FAST
        },
        HashOptions {
            parallelism: 0,
            ..FAST
        },
        HashOptions {
            parallelism: limits::MAX_PARALLELISM + 1,
            memory_cost: 1 << 16,
            ..FAST
        },
    ] {
        assert_eq!(
            code(hash_password(b"pw", &bad, None)),
            "ERR_INVALID_OPTION",
            "{bad:?}"
        );
        assert_eq!(
            code(needs_rehash(
                "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
                &bad
            )),
            "ERR_INVALID_OPTION"
        );
    }
    let phc = hash_password(
        b"pw",
        &HashOptions {
            memory_cost: 64,
            time_cost: 1,
            parallelism: 8,
        },
        None,
    )
    .unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=8$"));
    assert!(verify_password(&phc, b"pw", None).unwrap());
}

#[test]
fn malformed_hashes_are_errors_never_false() {
    let valid = "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU";
    PasswordHash::parse(valid).unwrap();
    let invalid = [
        "",
        "plaintext",
        "$",
        "$$",
        "argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id",
        "$argon2id$",
        "$argon2id$v=19",
        "$argon2id$v=19$m=1024,t=1,p=1",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g$",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g$extra",
        "$argon2id$v=$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=019$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=01024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=+1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=-1,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=99999999999,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1,x=2$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1,data=$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1,data=AQID,data=AQID$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024, t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=0,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=0$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=7,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=15,t=1,p=2$c29tZXNhbHQ$aGFzaGhhc2g",
        // Salt: not base64, padded, non-canonical trailing bits, too short, too long.
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZX!hbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ=$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHR$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB$aGFzaGhhc2g",
        // Hash: not base64, too short, too long.
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFz_Ghhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGE",
        "$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB",
        // bcrypt: wrong length, cost not digits, cost out of range, bad alphabet, bad separator.
        "$2b$10$tooShort",
        "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxciee",
        "$2b$1a$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2b$03$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2b$32$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxci+",
        "$2b$04xEGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcié",
        "$2c$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
    ];
    for text in invalid {
        assert_eq!(
            code(verify_password(text, b"password", None)),
            "ERR_PASSWORD_HASH_INVALID",
            "{text:?}"
        );
        assert_eq!(
            code(needs_rehash(text, &FAST)),
            "ERR_PASSWORD_HASH_INVALID",
            "{text:?}"
        );
    }
    let too_long = format!("{valid}{}", "A".repeat(MAX_HASH_LENGTH));
    assert_eq!(
        code(verify_password(&too_long, b"pw", None)),
        "ERR_PASSWORD_HASH_INVALID"
    );
}

#[test]
fn unsupported_hashes() {
    for text in [
        "$argon2x$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=20$m=1024,t=1,p=1$c29tZXNhbHRzYWx0$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1,keyid=AQID$c29tZXNhbHRzYWx0$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1,data=QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB$c29tZXNhbHRzYWx0$aGFzaGhhc2g",
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
        "$pbkdf2-sha256$29000$N2bsnXMOIYTCmFMK.z/LKQ$Nkb6e5AbpV2FmgjVfSn9bsIGZ5k4Wi4YhD8.1CQhAyo",
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
        "$6$rounds=5000$saltsalt$abc",
        "$2x$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
    ] {
        assert_eq!(
            code(verify_password(text, b"password", None)),
            "ERR_PASSWORD_HASH_UNSUPPORTED",
            "{text:?}"
        );
    }
}

#[test]
fn absurd_costs_are_refused_not_run() {
    for text in [
        "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=262145,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=5000,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=17,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=65536,t=1,p=4096$c29tZXNhbHQ$aGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=17$c29tZXNhbHQ$aGFzaGhhc2g",
        "$2b$17$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
        "$2a$31$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
    ] {
        let started = std::time::Instant::now();
        assert_eq!(
            code(verify_password(text, b"password", None)),
            "ERR_PASSWORD_HASH_TOO_COSTLY",
            "{text:?}"
        );
        assert_eq!(
            code(needs_rehash(text, &FAST)),
            "ERR_PASSWORD_HASH_TOO_COSTLY"
        );
        assert!(started.elapsed().as_millis() < 50, "{text:?} was run");
    }
    // The limits themselves are accepted.
    PasswordHash::parse("$argon2id$v=19$m=262144,t=16,p=16$c29tZXNhbHQ$aGFzaGhhc2g").unwrap();
    PasswordHash::parse("$2b$16$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie").unwrap();
}

/// Hashes from other bcrypt implementations (Python's bcrypt, node.bcrypt.js, an online tool).
#[test]
fn bcrypt_hashes_verify() {
    for (hash, password) in [
        (
            "$2a$04$UuTkLRZZ6QofpDOlMz32MuuxEHA43WOemOYHPz6.SjsVsyO1tDU96",
            "password",
        ),
        (
            "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
            "correctbatteryhorsestapler",
        ),
        (
            "$2a$04$n4Uy0eSnMfvnESYL.bLwuuj0U/ETSsoTpRT9GVk5bektyVVa5xnIi",
            "correctbatteryhorsestapler",
        ),
        (
            "$2y$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
            "correctbatteryhorsestapler",
        ),
    ] {
        assert!(
            verify_password(hash, password.as_bytes(), None).unwrap(),
            "{hash}"
        );
        assert!(!verify_password(hash, b"wrong", None).unwrap(), "{hash}");
        assert!(needs_rehash(hash, &FAST).unwrap());
    }
}

#[test]
fn bcrypt_never_truncates_silently() {
    // Python: bcrypt.hashpw(b"x" * 100, b"$2a$05$" + b"." * 22): bcrypt kept 72 of the 100 bytes.
    let hash = "$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2";
    let x = |n| vec![b'x'; n];
    assert!(verify_password(hash, &x(72), None).unwrap());
    for n in [73, 100, 4096] {
        assert_eq!(
            code(verify_password(hash, &x(n), None)),
            "ERR_PASSWORD_BCRYPT_TOO_LONG",
            "{n}"
        );
    }
    assert!(!verify_password(hash, &x(71), None).unwrap());
    // Multi-byte: 24 three-byte characters are 72 bytes; one more is over.
    let euro = "€".repeat(24);
    assert_eq!(euro.len(), 72);
    let parsed = PasswordHash::parse(hash).unwrap();
    assert!(parsed.check_password(euro.as_bytes()).is_ok());
    assert_eq!(
        code(parsed.check_password(format!("{euro}a").as_bytes())),
        "ERR_PASSWORD_BCRYPT_TOO_LONG"
    );
}

#[test]
fn needs_rehash_advice() {
    let target = HashOptions::default();
    let with = |m, t, p| {
        format!("$argon2id$v=19$m={m},t={t},p={p}$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU")
    };
    assert!(!needs_rehash(&with(19456, 2, 1), &target).unwrap());
    assert!(
        !needs_rehash(&with(65536, 3, 4), &target).unwrap(),
        "stronger"
    );
    assert!(
        !needs_rehash(&with(19456, 2, 2), &target).unwrap(),
        "parallelism alone"
    );
    assert!(needs_rehash(&with(19455, 2, 1), &target).unwrap());
    assert!(needs_rehash(&with(19456, 1, 1), &target).unwrap());
    assert!(needs_rehash(&with(1024, 1, 1), &target).unwrap());
    for other in [
        "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU",
        "$argon2d$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU",
        "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15",
        "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
    ] {
        assert!(needs_rehash(other, &target).unwrap(), "{other}");
    }
    let fresh = hash_password(b"pw", &FAST, None).unwrap();
    assert!(!needs_rehash(&fresh, &FAST).unwrap());
    assert!(needs_rehash(&fresh, &target).unwrap());
}

#[test]
fn dummy_verification_costs_the_same_and_is_false() {
    for password in [&b"password"[..], b"ferroauth-dummy!"] {
        assert!(!verify_dummy(password, &FAST, None).unwrap());
    }
    assert_eq!(code(verify_dummy(b"", &FAST, None)), "ERR_PASSWORD_EMPTY");
    let PasswordHash::Argon2(dummy) = dummy_hash(&HashOptions::default()) else {
        panic!()
    };
    assert_eq!(
        (
            dummy.memory_cost,
            dummy.time_cost,
            dummy.parallelism,
            dummy.salt.len(),
            dummy.output.len()
        ),
        (19456, 2, 1, 16, 32)
    );
    // The dummy is a real hash with the same shape as a stored one.
    PasswordHash::parse(&dummy.to_phc()).unwrap();
}

#[test]
fn login_check_treats_known_and_unknown_users_alike() {
    let phc = hash_password(b"pw", &FAST, None).unwrap();
    assert!(verify_password_or_dummy(Some(&phc), b"pw", &FAST, None).unwrap());
    assert!(!verify_password_or_dummy(Some(&phc), b"nope", &FAST, None).unwrap());
    assert!(!verify_password_or_dummy(None, b"pw", &FAST, None).unwrap());
    // Input and option checks answer the same with or without a hash.
    let bad = HashOptions {
        memory_cost: 4,
        ..FAST
    };
    for hash in [Some(phc.as_str()), None] {
        assert_eq!(
            code(verify_password_or_dummy(hash, b"", &FAST, None)),
            "ERR_PASSWORD_EMPTY"
        );
        assert_eq!(
            code(verify_password_or_dummy(hash, b"pw", &bad, None)),
            "ERR_INVALID_OPTION"
        );
        assert_eq!(
            code(verify_password_or_dummy(hash, b"pw", &FAST, Some(b""))),
            "ERR_INVALID_OPTION"
        );
    }
    // bcrypt's 72-byte refusal comes after the dummy work, not before it.
    let bcrypt = "$2a$05$......................YgIDy4hFBdVlc/6LHnD9mX488r9cLd2";
    let long = vec![b'x'; 73];
    assert_eq!(
        LoginCheck::prepare(Some(bcrypt), &long, &FAST, None).unwrap(),
        LoginCheck::Dummy(Some(Error::PasswordBcryptTooLong))
    );
    assert_eq!(
        code(verify_password_or_dummy(Some(bcrypt), &long, &FAST, None)),
        "ERR_PASSWORD_BCRYPT_TOO_LONG"
    );
    assert!(verify_password_or_dummy(Some(bcrypt), &[b'x'; 72], &FAST, None).unwrap());
    // The stored hash's own problems are errors at once.
    assert_eq!(
        code(LoginCheck::prepare(Some("garbage"), b"pw", &FAST, None)),
        "ERR_PASSWORD_HASH_INVALID"
    );
}

#[test]
fn memory_is_reused_and_large_memory_is_not_kept() {
    // Alternating sizes on one thread, including one above the reuse cap, all verify.
    for options in [
        FAST,
        HashOptions {
            memory_cost: 8,
            ..FAST
        },
        HashOptions {
            memory_cost: 70_000,
            ..FAST
        },
        FAST,
    ] {
        let phc = hash_password(b"pw", &options, None).unwrap();
        assert!(verify_password(&phc, b"pw", None).unwrap(), "{options:?}");
    }
}

#[test]
fn avx2_is_detected_where_the_cpu_has_it() {
    // argon2's compression function takes its AVX2 path when cpufeatures detects AVX2, the
    // same detection std does; this test documents which path this machine runs.
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    eprintln!("avx2: {}", std::arch::is_x86_feature_detected!("avx2"));
}

mod policy_rules {
    use super::*;

    fn codes(password: &str, policy: &Policy) -> Vec<&'static str> {
        policy
            .check(password)
            .unwrap()
            .errors
            .iter()
            .map(Error::code)
            .collect()
    }

    #[test]
    fn default_is_the_reference_rule() {
        let policy = Policy::default();
        assert_eq!(
            policy.summary(),
            "Password must be 8+ chars, 1 uppercase, 1 number, 1 special char."
        );
        assert!(policy.check("Passw0rd!").unwrap().ok());
        assert!(
            policy.check("PASSW0RD!").unwrap().ok(),
            "lowercase is not required"
        );
        assert_eq!(codes("Pa0!", &policy), ["ERR_PASSWORD_TOO_SHORT"]);
        assert_eq!(codes("password0!", &policy), ["ERR_PASSWORD_NO_UPPERCASE"]);
        assert_eq!(codes("Password!", &policy), ["ERR_PASSWORD_NO_DIGIT"]);
        assert_eq!(codes("Password0", &policy), ["ERR_PASSWORD_NO_SYMBOL"]);
        assert_eq!(
            codes("", &policy),
            [
                "ERR_PASSWORD_TOO_SHORT",
                "ERR_PASSWORD_NO_UPPERCASE",
                "ERR_PASSWORD_NO_DIGIT",
                "ERR_PASSWORD_NO_SYMBOL"
            ]
        );
        let report = policy.check("short").unwrap();
        assert_eq!(
            report.message.as_deref(),
            Some("Password must be 8+ chars, 1 uppercase, 1 number, 1 special char.")
        );
        assert_eq!(
            report.errors[0].to_string(),
            "Password must be at least 8 characters long"
        );
        assert_eq!(policy.check("Passw0rd!").unwrap().message, None);
    }

    #[test]
    fn unicode_classes_and_lengths() {
        let policy = Policy::default();
        // "É" is uppercase, "٣" (Arabic-Indic three) a digit, a space a special character.
        assert!(policy.check("Éclair٣ x").unwrap().ok());
        // Eight characters, more than eight bytes.
        assert!(policy.check("Ünïcödé1!").unwrap().ok());
        assert_eq!(codes("Ü1!😀😀😀😀😀", &policy), Vec::<&str>::new());
        assert_eq!(codes("Ü1!😀😀😀😀", &policy), ["ERR_PASSWORD_TOO_SHORT"]);
        // Control characters are not special characters.
        assert_eq!(codes("Password1\u{7}", &policy), ["ERR_PASSWORD_NO_SYMBOL"]);
    }

    #[test]
    fn every_rule_is_configurable() {
        let strict = Policy {
            min_length: 12,
            max_length: Some(64),
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: true,
        };
        assert_eq!(
            strict.summary(),
            "Password must be 12-64 chars, 1 uppercase, 1 lowercase, 1 number, 1 special char."
        );
        assert_eq!(
            codes("PASSWORD1234!", &strict),
            ["ERR_PASSWORD_NO_LOWERCASE"]
        );
        assert_eq!(
            codes(&format!("Aa1!{}", "x".repeat(61)), &strict),
            ["ERR_PASSWORD_TOO_LONG"]
        );
        let lax = Policy {
            min_length: 1,
            max_length: None,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_symbol: false,
        };
        assert!(lax.check("a").unwrap().ok());
        assert_eq!(codes("", &lax), ["ERR_PASSWORD_TOO_SHORT"]);
        assert_eq!(lax.summary(), "Password must be 1+ chars.");
        let exact = Policy {
            min_length: 6,
            max_length: Some(6),
            ..lax
        };
        assert_eq!(exact.summary(), "Password must be 6 chars.");
    }

    #[test]
    fn the_hashing_limit_always_applies() {
        let policy = Policy::default();
        let big = format!("A1!{}", "a".repeat(MAX_PASSWORD_BYTES));
        assert_eq!(codes(&big, &policy), ["ERR_PASSWORD_TOO_LARGE"]);
        let chars = Policy {
            max_length: Some(10_000),
            ..Policy::default()
        };
        let emoji = format!("A1!{}", "😀".repeat(1100));
        assert_eq!(codes(&emoji, &chars), ["ERR_PASSWORD_TOO_LARGE"]);
    }

    #[test]
    fn bad_policies_are_option_errors() {
        let zero = Policy {
            min_length: 0,
            ..Policy::default()
        };
        assert_eq!(code(zero.check("x")), "ERR_INVALID_OPTION");
        let inverted = Policy {
            min_length: 10,
            max_length: Some(9),
            ..Policy::default()
        };
        assert_eq!(code(inverted.check("x")), "ERR_INVALID_OPTION");
    }
}

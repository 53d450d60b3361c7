//! The refresh token's wire format, its hash, and the sealed successor kept for retries.
//!
//! A token is `frt_` + base64url(64 bytes) + base64url(CRC-32), 96 ASCII characters:
//!
//! ```text
//! bytes  0..8    user tag: routes every key of one user to one Redis Cluster slot
//! bytes  8..24   family: random, names the session the token belongs to
//! bytes 24..28   the session's absolute end, seconds since the Unix epoch (big-endian u32)
//! bytes 28..32   this token's end (earlier with an idle timeout), same encoding
//! bytes 32..64   secret: 256 random bits
//! ```
//!
//! The prefix and checksum let secret scanners recognise a leaked token and let garbage be
//! refused before any store look-up. The checksum is not a MAC: a token that is edited and
//! re-checksummed no longer matches its stored hash, which covers every character, so the
//! embedded expiries cannot be extended.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::random;

pub const PREFIX: &str = "frt_";
const BODY_BYTES: usize = 64;
const BODY_CHARS: usize = 86;
const CHECKSUM_CHARS: usize = 6;
/// Every token has exactly this many characters.
pub const TOKEN_LENGTH: usize = PREFIX.len() + BODY_CHARS + CHECKSUM_CHARS;

const TAG_BYTES: usize = 8;
const FAMILY_BYTES: usize = 16;
/// The family id as users see it: base64url of the user tag and the family's random bytes.
pub const FAMILY_ID_LENGTH: usize = 32;

/// What a well-formed token says about itself (nothing here is trusted until its hash is
/// found in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParts {
    pub family: FamilyId,
    /// The session's absolute end, in milliseconds since the Unix epoch.
    pub family_expires_at: u64,
    /// This token's end, in milliseconds since the Unix epoch.
    pub expires_at: u64,
}

/// A session's identity: the user tag (for key routing) and 16 random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FamilyId([u8; TAG_BYTES + FAMILY_BYTES]);

impl FamilyId {
    pub fn new(tag: UserTag) -> Result<Self> {
        let mut bytes = [0u8; TAG_BYTES + FAMILY_BYTES];
        bytes[..TAG_BYTES].copy_from_slice(&tag.0);
        random::fill(&mut bytes[TAG_BYTES..])?;
        Ok(FamilyId(bytes))
    }

    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != FAMILY_ID_LENGTH {
            return None;
        }
        let mut bytes = [0u8; TAG_BYTES + FAMILY_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            Ok(n) if n == bytes.len() => Some(FamilyId(bytes)),
            _ => None,
        }
    }

    pub fn tag(&self) -> UserTag {
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&self.0[..TAG_BYTES]);
        UserTag(tag)
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// A short keyed digest of the user id. All keys of one user carry it as their Redis Cluster
/// hash tag, so issuing, rotating and "log out everywhere" are each one atomic script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserTag([u8; TAG_BYTES]);

impl UserTag {
    /// A tag tied to no user, for tokens an app keeps in its own database.
    pub fn random() -> Result<Self> {
        let mut tag = [0u8; TAG_BYTES];
        random::fill(&mut tag)?;
        Ok(UserTag(tag))
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Hashes tokens for storage and derives user tags; keyed with the manager's secret when
/// one is configured, so a copy of the store alone cannot even confirm a guessed user id.
pub struct TokenHasher {
    key: Option<hmac::Key>,
    tag_key: hmac::Key,
}

const TAG_CONTEXT: &[u8] = b"ferroauth refresh-token user tag v1";

impl TokenHasher {
    pub fn new(secret: Option<&[u8]>) -> Self {
        let key = secret.map(|s| hmac::Key::new(hmac::HMAC_SHA256, s));
        let tag_key = match secret {
            Some(s) => {
                let mut derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, s), TAG_CONTEXT)
                    .as_ref()
                    .to_vec();
                let key = hmac::Key::new(hmac::HMAC_SHA256, &derived);
                zeroize::Zeroize::zeroize(&mut derived);
                key
            }
            None => hmac::Key::new(hmac::HMAC_SHA256, TAG_CONTEXT),
        };
        TokenHasher { key, tag_key }
    }

    /// The stored form of a token: base64url of SHA-256 (or HMAC-SHA-256 with the secret).
    pub fn hash(&self, token: &str) -> String {
        match &self.key {
            Some(key) => URL_SAFE_NO_PAD.encode(hmac::sign(key, token.as_bytes())),
            None => URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes())),
        }
    }

    pub fn user_tag(&self, user_id: &str) -> UserTag {
        let mac = hmac::sign(&self.tag_key, user_id.as_bytes());
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&mac.as_ref()[..TAG_BYTES]);
        UserTag(tag)
    }
}

fn seconds(ms: u64) -> [u8; 4] {
    u32::try_from(ms / 1000).unwrap_or(u32::MAX).to_be_bytes()
}

fn millis(bytes: &[u8]) -> u64 {
    u64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])) * 1000
}

/// Makes a new token of `family`; times in ms since the epoch, stored to the second
/// (rounded down, so a token never claims to outlive its record).
pub fn create(
    family: &FamilyId,
    family_expires_at: u64,
    expires_at: u64,
) -> Result<Zeroizing<String>> {
    let mut body = Zeroizing::new([0u8; BODY_BYTES]);
    body[..24].copy_from_slice(&family.0);
    body[24..28].copy_from_slice(&seconds(family_expires_at));
    body[28..32].copy_from_slice(&seconds(expires_at));
    random::fill(&mut body[32..])?;
    let mut token = Zeroizing::new(String::with_capacity(TOKEN_LENGTH));
    token.push_str(PREFIX);
    URL_SAFE_NO_PAD.encode_string(&body[..], &mut token);
    let checksum = crc32fast::hash(token.as_bytes()).to_be_bytes();
    URL_SAFE_NO_PAD.encode_string(checksum, &mut token);
    Ok(token)
}

/// Checks a presented token's shape and checksum, without any store look-up.
pub fn parse(token: &str) -> Result<TokenParts> {
    if token.len() != TOKEN_LENGTH {
        return Err(Error::refresh_invalid("wrong length"));
    }
    if !token.starts_with(PREFIX) {
        return Err(Error::refresh_invalid("unknown prefix"));
    }
    let (signed, checksum) = token.split_at(TOKEN_LENGTH - CHECKSUM_CHARS);
    let mut expected = [0u8; 4];
    match URL_SAFE_NO_PAD.decode_slice(checksum, &mut expected) {
        Ok(4) if u32::from_be_bytes(expected) == crc32fast::hash(signed.as_bytes()) => {}
        _ => return Err(Error::refresh_invalid("checksum mismatch")),
    }
    let mut body = Zeroizing::new([0u8; BODY_BYTES]);
    match URL_SAFE_NO_PAD.decode_slice(&signed[PREFIX.len()..], &mut body[..]) {
        Ok(BODY_BYTES) => {}
        _ => return Err(Error::refresh_invalid("not base64url")),
    }
    let mut family = [0u8; TAG_BYTES + FAMILY_BYTES];
    family.copy_from_slice(&body[..24]);
    Ok(TokenParts {
        family: FamilyId(family),
        family_expires_at: millis(&body[24..28]),
        expires_at: millis(&body[28..32]),
    })
}

/// Encrypts `successor` under a key only the holder of `presented` can derive, so the store
/// can hand a retried rotation its answer without ever holding a usable token.
pub fn seal_successor(presented: &str, successor: &str) -> Result<String> {
    let key = successor_key(presented)?;
    let mut nonce = [0u8; NONCE_LEN];
    random::fill(&mut nonce)?;
    let mut data = successor.as_bytes().to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .map_err(|_| Error::StoreFailed("could not seal the successor token".into()))?;
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&data);
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

pub fn open_successor(presented: &str, sealed: &str) -> Result<Zeroizing<String>> {
    let corrupt = || Error::StoreFailed("the stored successor token is corrupt".into());
    let key = successor_key(presented)?;
    let mut data = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| corrupt())?;
    if data.len() < NONCE_LEN {
        return Err(corrupt());
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&data[..NONCE_LEN]);
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut data[NONCE_LEN..],
        )
        .map_err(|_| corrupt())?;
    let text = std::str::from_utf8(plain)
        .map_err(|_| corrupt())?
        .to_owned();
    Ok(Zeroizing::new(text))
}

fn successor_key(presented: &str) -> Result<LessSafeKey> {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(b"ferroauth refresh-token successor v1\0");
    context.update(presented.as_bytes());
    let key = UnboundKey::new(&AES_256_GCM, context.finish().as_ref())
        .map_err(|_| Error::StoreFailed("could not derive the successor key".into()))?;
    Ok(LessSafeKey::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> FamilyId {
        FamilyId::new(TokenHasher::new(None).user_tag("user-1")).unwrap()
    }

    #[test]
    fn tokens_round_trip() {
        let f = family();
        let token = create(&f, 1_900_000_000_999, 1_800_000_000_123).unwrap();
        assert_eq!(token.len(), TOKEN_LENGTH);
        assert!(token.starts_with(PREFIX));
        let parts = parse(&token).unwrap();
        assert_eq!(parts.family, f);
        assert_eq!(parts.family_expires_at, 1_900_000_000_000);
        assert_eq!(parts.expires_at, 1_800_000_000_000);
        assert_ne!(*create(&f, 0, 0).unwrap(), *create(&f, 0, 0).unwrap());
    }

    #[test]
    fn garbage_is_refused_before_any_lookup() {
        let token = create(&family(), 1_900_000_000_000, 1_900_000_000_000).unwrap();
        let mut flipped = token.as_bytes().to_vec();
        flipped[20] = if flipped[20] == b'A' { b'B' } else { b'A' };
        let cases = [
            String::new(),
            "frt_".into(),
            token[..TOKEN_LENGTH - 1].to_string(),
            format!("{}A", &*token),
            format!("xrt_{}", &token[4..]),
            String::from_utf8(flipped).unwrap(),
            "frt_".to_string() + &"!".repeat(TOKEN_LENGTH - 4),
        ];
        for case in cases {
            assert_eq!(
                parse(&case).unwrap_err().code(),
                "ERR_REFRESH_INVALID",
                "{case:?}"
            );
        }
    }

    #[test]
    fn hashes_depend_on_the_secret() {
        let token = create(&family(), 1, 1).unwrap();
        let plain = TokenHasher::new(None);
        let keyed = TokenHasher::new(Some(b"server secret"));
        assert_eq!(plain.hash(&token).len(), 43);
        assert_eq!(plain.hash(&token), plain.hash(&token));
        assert_ne!(plain.hash(&token), keyed.hash(&token));
        assert_ne!(plain.user_tag("u"), keyed.user_tag("u"));
        assert_ne!(plain.user_tag("u"), plain.user_tag("v"));
    }

    #[test]
    fn family_ids_round_trip_and_keep_the_tag() {
        let f = family();
        let text = f.encode();
        assert_eq!(text.len(), FAMILY_ID_LENGTH);
        assert_eq!(FamilyId::parse(&text), Some(f));
        assert_eq!(f.tag(), TokenHasher::new(None).user_tag("user-1"));
        assert_eq!(FamilyId::parse("short"), None);
        assert_eq!(FamilyId::parse(&"*".repeat(FAMILY_ID_LENGTH)), None);
    }

    #[test]
    fn sealed_successors_open_only_with_the_presented_token() {
        let f = family();
        let old = create(&f, 1, 1).unwrap();
        let new = create(&f, 2, 2).unwrap();
        let sealed = seal_successor(&old, &new).unwrap();
        assert_eq!(*open_successor(&old, &sealed).unwrap(), *new);
        assert_eq!(
            open_successor(&new, &sealed).unwrap_err().code(),
            "ERR_STORE_FAILED"
        );
        assert!(!sealed.contains(&new[4..20]));
    }
}

//! JWT access tokens: signing and verification (RFC 7515, 7518, 7519, 8037, 9068).

pub mod algorithm;
pub mod claims;
pub mod compact;
pub mod key;
pub mod signer;
pub mod verifier;

pub use algorithm::{Algorithm, Curve, KeyFamily};
pub use claims::ClaimsPolicy;
pub use key::{KeySource, PrivateKey, PublicKey};
pub use signer::{Signer, SignerOptions};
pub use verifier::{Verified, Verifier, VerifierOptions, DEFAULT_MAX_TOKEN_LENGTH};

#[cfg(test)]
mod tests;

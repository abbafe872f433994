//! Signing keys: generated with aws-lc-rs, stored in Postgres with the private part sealed
//! under the key-encryption key, rotated with pre-publication, published as a JWKS.
//!
//! - `sealed`: AES-256-GCM sealing of private keys at rest.
//! - `keypair`, `signer`: key generation, [`SigningKey`] and its JWK (RFC 7517, 7518, 8037).
//! - `jws`: compact JWS signing and verification (RFC 7515).
//! - [`state`]: which key is next / active / retiring / retired, from timestamps alone.
//! - `store`: the `signing_keys` table.
//! - [`rotation`]: `ensure_keys`, `rotate`, `list` (what `idp keys …` calls).
//! - `ring`: [`KeyRing`], the per-node cache the request path uses.
//! - [`verified`]: [`VerifiedTokens`], tokens whose signature already verified on this node.

mod jws;
mod keypair;
mod ring;
pub mod rotation;
mod sealed;
mod signer;
pub mod state;
mod store;
pub mod verified;

#[cfg(test)]
mod pg_tests;

pub use crate::domain::SigningAlg;
pub use jws::{Parsed as ParsedJws, parse as parse_jws};
pub use ring::KeyRing;
pub use rotation::{KeyInfo, ensure_keys, list, rotate};
pub use signer::SigningKey;
pub use state::{KeyMeta, KeyState};
pub use verified::VerifiedTokens;

/// Why a key operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No active key for the algorithm.
    #[error("no active signing key for {0}")]
    NoActiveKey(SigningAlg),
    /// A token did not verify.
    #[error("token signature or format invalid")]
    InvalidToken,
    /// Postgres refused or failed a statement.
    #[error("signing keys: postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No pooled connection could be had.
    #[error("signing keys: postgres pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A sealed private key did not open: wrong key-encryption key, or a tampered row.
    #[error("sealed private key {kid} did not open (wrong key-encryption key or tampered row)")]
    Unseal {
        /// The key whose private part did not open.
        kid: String,
    },
    /// A stored row did not decode.
    #[error("signing keys: corrupt row {kid}: {reason}")]
    Corrupt {
        /// The key of the row.
        kid: String,
        /// What was wrong.
        reason: String,
    },
    /// Anything else.
    #[error("key store: {0}")]
    Other(String),
}

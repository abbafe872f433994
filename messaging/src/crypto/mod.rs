//! Encryption at rest (envelope encryption, AES-256-GCM through `service_kit::seal`):
//!
//! - each thread has a random 256-bit **data key**; message bodies (and, later, drafts and
//!   attachments) are sealed under it with the message's id as associated data;
//! - the data key is stored **wrapped** by a key-encryption key (KEK), with the thread's id as
//!   associated data;
//! - KEKs live in the database **sealed** by the master key of the configuration
//!   (`keys.master_key_file`), with their own id as associated data.
//!
//! `messaging keys rotate` makes a new KEK and re-wraps every data key under it without
//! touching a message (`rotation.rs`). Subject lines and categories stay in clear: the queues
//! route and search on them (docs/MESSAGING.md says why).

pub mod keyring;
pub mod rotation;
pub mod stream;

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use service_kit::seal::{self, SealError};
use uuid::Uuid;
use zeroize::Zeroizing;

pub use keyring::Keyring;

/// Why a key or a sealed value could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A sealed value did not open (tampered, or the wrong key).
    #[error("{what} does not open: {source}")]
    Refused {
        /// What was being opened.
        what: &'static str,
        /// The seal's error.
        #[source]
        source: SealError,
    },
    /// No active key-encryption key: `messaging keys rotate` (or `serve`, which makes the
    /// first) has never run on this database.
    #[error("no active key-encryption key: run `messaging keys rotate`")]
    NoActiveKek,
    /// A thread's KEK is retired or missing (a rotation retired it too early: a bug).
    #[error("key-encryption key {0} is not available")]
    KekGone(Uuid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The master key: 32 bytes, base64 in `keys.master_key_file`.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    /// Reads the key file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "configuration key `keys.master_key_file`: cannot read {}: {e}",
                path.display()
            )
        })?;
        Self::from_base64(text.trim()).map_err(|reason| {
            anyhow::anyhow!(
                "configuration key `keys.master_key_file`: {} {reason}",
                path.display()
            )
        })
    }

    /// Its bytes.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Decodes 32 bytes of base64.
    pub fn from_base64(text: &str) -> Result<Self, &'static str> {
        let bytes = Zeroizing::new(STANDARD.decode(text).map_err(|_| "is not base64")?);
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| "must decode to exactly 32 bytes")?;
        Ok(Self(Zeroizing::new(key)))
    }
}

/// An unsealed key-encryption key.
#[derive(Clone)]
pub struct Kek {
    /// Its id.
    pub id: Uuid,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Kek {
    /// A new random KEK and its sealed form for storing.
    pub fn generate(master: &MasterKey) -> Result<(Self, Vec<u8>), CryptoError> {
        let kek = Self {
            id: Uuid::now_v7(),
            key: random_key()?,
        };
        let sealed = seal::seal(&master.0, kek.id.as_bytes(), &*kek.key).map_err(|source| {
            CryptoError::Refused {
                what: "a new key-encryption key",
                source,
            }
        })?;
        Ok((kek, sealed))
    }

    /// Opens a stored KEK.
    pub fn unseal(master: &MasterKey, id: Uuid, sealed: &[u8]) -> Result<Self, CryptoError> {
        let refused = |source| CryptoError::Refused {
            what: "a key-encryption key (is `keys.master_key_file` the one it was sealed with?)",
            source,
        };
        let plain = seal::unseal(&master.0, id.as_bytes(), sealed).map_err(refused)?;
        let key: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| refused(SealError::Refused))?;
        Ok(Self {
            id,
            key: Zeroizing::new(key),
        })
    }

    /// Wraps a thread's data key.
    pub fn wrap(&self, thread: Uuid, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        seal::seal(&self.key, &aad("thread", thread), &*key.0).map_err(|source| {
            CryptoError::Refused {
                what: "a data key",
                source,
            }
        })
    }

    /// Unwraps a thread's data key.
    pub fn unwrap_key(&self, thread: Uuid, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let refused = |source| CryptoError::Refused {
            what: "a thread's data key",
            source,
        };
        let plain = seal::unseal(&self.key, &aad("thread", thread), wrapped).map_err(refused)?;
        let key: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| refused(SealError::Refused))?;
        Ok(DataKey(Zeroizing::new(key)))
    }
}

/// A thread's data key.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    /// The key's bytes (the attachment sealer and the content-address MAC use them).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A keyed hash of an attachment's content under this thread's key (HMAC-SHA-256): its
    /// name in the blob store, equal for equal content in this thread and nothing outside it.
    pub fn content_mac(&self) -> aws_lc_rs::hmac::Context {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &*self.0);
        let mut context = aws_lc_rs::hmac::Context::with_key(&key);
        context.update(b"messaging attachment v1");
        context
    }

    /// A new random data key.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(random_key()?))
    }

    /// Seals a message body (its id is the associated data).
    pub fn seal_body(&self, message: Uuid, body: &str) -> Result<Vec<u8>, CryptoError> {
        self.seal_text("message", message, body)
    }

    /// Opens a message body.
    pub fn open_body(&self, message: Uuid, sealed: &[u8]) -> Result<String, CryptoError> {
        self.open_text("message", message, sealed)
    }

    /// Seals a draft's body (the draft's id is the associated data).
    pub fn seal_draft(&self, draft: Uuid, body: &str) -> Result<Vec<u8>, CryptoError> {
        self.seal_text("draft", draft, body)
    }

    /// Opens a draft's body.
    pub fn open_draft(&self, draft: Uuid, sealed: &[u8]) -> Result<String, CryptoError> {
        self.open_text("draft", draft, sealed)
    }

    fn seal_text(&self, kind: &'static str, id: Uuid, text: &str) -> Result<Vec<u8>, CryptoError> {
        seal::seal(&self.0, &aad(kind, id), text.as_bytes())
            .map_err(|source| CryptoError::Refused { what: kind, source })
    }

    fn open_text(
        &self,
        kind: &'static str,
        id: Uuid,
        sealed: &[u8],
    ) -> Result<String, CryptoError> {
        let refused = |source| CryptoError::Refused { what: kind, source };
        let plain = seal::unseal(&self.0, &aad(kind, id), sealed).map_err(refused)?;
        String::from_utf8(plain.to_vec()).map_err(|_| refused(SealError::Refused))
    }
}

fn aad(kind: &str, id: Uuid) -> Vec<u8> {
    let mut aad = Vec::with_capacity(kind.len() + 17);
    aad.extend_from_slice(kind.as_bytes());
    aad.push(b':');
    aad.extend_from_slice(id.as_bytes());
    aad
}

fn random_key() -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut key = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::fill(&mut *key).map_err(|_| CryptoError::Refused {
        what: "the system's randomness",
        source: SealError::Failed,
    })?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_opens_only_under_its_thread_key_and_for_its_message() {
        let master = MasterKey::from_base64(&STANDARD.encode([3u8; 32])).unwrap();
        let (kek, sealed_kek) = Kek::generate(&master).unwrap();
        let kek = Kek::unseal(&master, kek.id, &sealed_kek).unwrap();
        let (thread, message) = (Uuid::now_v7(), Uuid::now_v7());
        let key = DataKey::generate().unwrap();
        let wrapped = kek.wrap(thread, &key).unwrap();
        let body = key.seal_body(message, "Bonjour, ma facture n° 42").unwrap();
        assert!(
            !body.windows(7).any(|w| w == b"Bonjour"),
            "the body is not in clear"
        );

        let key = kek.unwrap_key(thread, &wrapped).unwrap();
        assert_eq!(
            key.open_body(message, &body).unwrap(),
            "Bonjour, ma facture n° 42"
        );
        assert!(
            key.open_body(Uuid::now_v7(), &body).is_err(),
            "moved to another message"
        );
        assert!(
            kek.unwrap_key(Uuid::now_v7(), &wrapped).is_err(),
            "moved to another thread"
        );
        let other = MasterKey::from_base64(&STANDARD.encode([4u8; 32])).unwrap();
        assert!(
            Kek::unseal(&other, kek.id, &sealed_kek).is_err(),
            "another master key"
        );
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err(), "too short");
    }
}

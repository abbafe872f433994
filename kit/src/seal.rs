//! Sealing small secrets and records at rest: AES-256-GCM (aws-lc-rs) under a 32-byte key.
//!
//! Layout: `nonce (12) || ciphertext || tag (16)`. The nonce is random for every seal
//! (96 bits, NIST SP 800-38D §8.2.2: fine for far fewer than 2^32 seals per key); the caller's
//! `aad` (a row id) is authenticated, so a sealed blob moved to another row does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// Length of the GCM authentication tag appended to the ciphertext.
pub const TAG_LEN: usize = 16;

/// Bytes a sealed blob adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Why sealing or opening failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The blob is not one this key sealed for this `aad` (tampered, moved or another key).
    #[error("the sealed value does not open with this key")]
    Refused,
    /// No randomness for the nonce, or the key was rejected.
    #[error("sealing failed")]
    Failed,
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, SealError> {
    let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| SealError::Failed)?;
    Ok(LessSafeKey::new(key))
}

/// Seals `plaintext` for `aad`.
pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let key = aead_key(key)?;
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError::Failed)?;
    // Capacity reserved up front so the buffer holding plaintext is never reallocated
    // (a reallocation would leave a plaintext copy behind); zeroized if sealing fails.
    let mut out = Zeroizing::new(Vec::with_capacity(OVERHEAD + plaintext.len()));
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| SealError::Failed)?;
    out.extend_from_slice(tag.as_ref());
    Ok(std::mem::take(&mut *out))
}

/// Opens a blob made by [`seal`] for `aad`; the plaintext is zeroized on drop.
pub fn unseal(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < OVERHEAD {
        return Err(SealError::Refused);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Refused)?;
    let key = aead_key(key)?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| SealError::Refused)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let a = seal(&[7; 32], b"row-1", b"private key").unwrap_or_default();
        assert_eq!(a.len(), OVERHEAD + 11);
        let opened = unseal(&[7; 32], b"row-1", &a).map(|p| p.to_vec());
        assert_eq!(opened.ok().as_deref(), Some(&b"private key"[..]));
        let b = seal(&[7; 32], b"row-1", b"private key").unwrap_or_default();
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_moved_or_foreign_blobs_are_refused() {
        let sealed = seal(&[7; 32], b"row-1", b"private key").unwrap_or_default();
        for i in [0, NONCE_LEN, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert_eq!(
                unseal(&[7; 32], b"row-1", &tampered).err(),
                Some(SealError::Refused)
            );
        }
        assert_eq!(
            unseal(&[7; 32], b"row-2", &sealed).err(),
            Some(SealError::Refused)
        );
        assert_eq!(
            unseal(&[8; 32], b"row-1", &sealed).err(),
            Some(SealError::Refused)
        );
        assert_eq!(
            unseal(&[7; 32], b"row-1", &sealed[..OVERHEAD - 1]).err(),
            Some(SealError::Refused)
        );
    }
}

//! Private keys at rest: AES-256-GCM under the key-encryption key (KEK).
//!
//! Layout: `nonce (12) || ciphertext || tag (16)`. The nonce is random for every seal
//! (96 bits, NIST SP 800-38D §8.2.2: fine for far fewer than 2^32 seals per KEK); the
//! kid is the additional authenticated data, so a sealed blob moved to another row
//! does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::KeyError;
use crate::config::Secret32;

/// Length of the GCM authentication tag appended to the ciphertext.
const TAG_LEN: usize = 16;

fn aead_key(kek: &Secret32) -> Result<LessSafeKey, KeyError> {
    let key = UnboundKey::new(&AES_256_GCM, kek.expose_secret())
        .map_err(|_| KeyError::Other("key-encryption key rejected".into()))?;
    Ok(LessSafeKey::new(key))
}

/// Seals `plaintext` (a PKCS#8 document) for the row `kid`.
pub(super) fn seal(kek: &Secret32, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
    let key = aead_key(kek)?;
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| KeyError::Other("no randomness".into()))?;
    // Capacity reserved up front so the buffer holding plaintext is never reallocated
    // (a reallocation would leave a plaintext copy behind); zeroized if sealing fails.
    let mut out = Zeroizing::new(Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN));
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(kid.as_bytes()),
            &mut out[NONCE_LEN..],
        )
        .map_err(|_| KeyError::Other("sealing failed".into()))?;
    out.extend_from_slice(tag.as_ref());
    Ok(std::mem::take(&mut *out))
}

/// Opens a blob made by [`seal`] for the row `kid`; the plaintext is zeroized on drop.
pub(super) fn unseal(
    kek: &Secret32,
    kid: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let refused = || KeyError::Unseal {
        kid: kid.to_owned(),
    };
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(refused());
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
    let key = aead_key(kek)?;
    let mut buf = Zeroizing::new(body.to_vec());
    let len = key
        .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
        .map_err(|_| refused())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> Secret32 {
        Secret32::new(Box::new([byte; 32]))
    }

    #[test]
    fn round_trip() {
        let sealed = seal(&kek(7), "kid-1", b"private key").unwrap_or_default();
        assert_eq!(sealed.len(), NONCE_LEN + 11 + TAG_LEN);
        let opened = unseal(&kek(7), "kid-1", &sealed).map(|p| p.to_vec());
        assert_eq!(opened.ok().as_deref(), Some(&b"private key"[..]));
    }

    #[test]
    fn nonce_is_fresh_each_time() {
        let a = seal(&kek(7), "kid-1", b"same").unwrap_or_default();
        let b = seal(&kek(7), "kid-1", b"same").unwrap_or_default();
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_wrong_kid_or_wrong_kek_refused() {
        let sealed = seal(&kek(7), "kid-1", b"private key").unwrap_or_default();
        for i in [0, NONCE_LEN, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(matches!(
                unseal(&kek(7), "kid-1", &tampered),
                Err(KeyError::Unseal { .. })
            ));
        }
        assert!(matches!(
            unseal(&kek(7), "kid-2", &sealed),
            Err(KeyError::Unseal { .. })
        ));
        assert!(matches!(
            unseal(&kek(8), "kid-1", &sealed),
            Err(KeyError::Unseal { .. })
        ));
        assert!(matches!(
            unseal(&kek(7), "kid-1", &sealed[..NONCE_LEN + TAG_LEN - 1]),
            Err(KeyError::Unseal { .. })
        ));
    }
}

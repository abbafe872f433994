//! Private keys at rest: AES-256-GCM under the key-encryption key (KEK).
//!
//! The kit's AES-256-GCM sealing (`service_kit::seal`) with the kid as additional
//! authenticated data, so a sealed blob moved to another row does not open.

use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::KeyError;
use crate::config::Secret32;

#[cfg(test)]
use service_kit::seal::{OVERHEAD, TAG_LEN};
#[cfg(test)]
const NONCE_LEN: usize = OVERHEAD - TAG_LEN;

/// Seals `plaintext` (a PKCS#8 document) for the row `kid` (`service_kit::seal`).
pub(super) fn seal(kek: &Secret32, kid: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
    service_kit::seal::seal(kek.expose_secret(), kid.as_bytes(), plaintext)
        .map_err(|_| KeyError::Other("sealing failed".into()))
}

/// Opens a blob made by [`seal`] for the row `kid`; the plaintext is zeroized on drop.
pub(super) fn unseal(
    kek: &Secret32,
    kid: &str,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    service_kit::seal::unseal(kek.expose_secret(), kid.as_bytes(), sealed).map_err(|e| match e {
        service_kit::seal::SealError::Refused => KeyError::Unseal {
            kid: kid.to_owned(),
        },
        service_kit::seal::SealError::Failed => {
            KeyError::Other("key-encryption key rejected".into())
        }
    })
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

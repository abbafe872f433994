//! Opaque secrets we hand out (session ids, codes, refresh tokens, client secrets): 256 bits
//! from the OS RNG, base64url, stored only as a SHA-256 digest.

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};

/// A bearer secret; `Debug` prints `[redacted]`.
#[derive(Debug)]
pub struct SecretToken(SecretString);

impl SecretToken {
    /// 32 random bytes from the OS (aws-lc-rs' RNG), base64url without padding.
    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)?;
        Ok(Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// Whether `value` has the shape of one of our tokens (43 base64url characters): anything
    /// else — in a cookie, a form, a query — is refused before it reaches a Redis key, a query
    /// or a `Location` header.
    pub fn is_well_formed(value: &str) -> bool {
        value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// Wraps a presented value (from a cookie, a form or a header).
    pub fn presented(value: &str) -> Self {
        Self(SecretString::from(value.to_owned()))
    }

    /// The value to hand to its holder.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest we store and look up by.
    pub fn digest(&self) -> Vec<u8> {
        digest::digest(&digest::SHA256, self.0.expose_secret().as_bytes())
            .as_ref()
            .to_vec()
    }

    /// The digest as base64url, for Redis keys.
    pub fn digest_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.digest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_chars_distinct_and_hash_stably() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_eq!(a.expose().len(), 43);
        assert!(SecretToken::is_well_formed(a.expose()));
        assert!(!SecretToken::is_well_formed(&a.expose()[1..]));
        assert!(!SecretToken::is_well_formed(&format!(
            "{}/",
            &a.expose()[1..]
        )));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.digest(), SecretToken::presented(a.expose()).digest());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}

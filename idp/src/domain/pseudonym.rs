//! Stand-ins for names that are no account. Where a real account would be looked up, counted
//! or challenged, an unknown name gets the same treatment under a pseudonym: a keyed hash of
//! the normalised name, stable on every request and every node, that no account has. So an
//! unknown name costs the stores what a known one does (ASVS 6.3.8), and its counters and
//! challenges never meet another name's.

use aws_lc_rs::hmac;
use uuid::Uuid;

/// The key pseudonyms are derived with.
#[derive(Clone)]
pub struct PseudonymKey(hmac::Key);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey([redacted])")
    }
}

impl PseudonymKey {
    /// Derives the key from a server secret, under its own label so the secret's other use
    /// never shares a key with this one (HMAC as a key-derivation function).
    pub fn derive(secret: &[u8]) -> Self {
        let parent = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derived = hmac::sign(&parent, b"idp pseudonyms for unknown names v1");
        Self(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()))
    }

    /// The pseudonym of a normalised (folded) name.
    pub fn id(&self, folded_name: &str) -> Uuid {
        let tag = self.bytes("id", folded_name, 0);
        let mut id = [0u8; 16];
        id.copy_from_slice(&tag[..16]);
        Uuid::from_bytes(id)
    }

    /// 32 bytes for `purpose`, block `block` of a stream keyed by the name (as many blocks as
    /// a caller needs).
    pub fn bytes(&self, purpose: &str, folded_name: &str, block: u32) -> [u8; 32] {
        let mut input = Vec::with_capacity(purpose.len() + folded_name.len() + 6);
        input.extend_from_slice(purpose.as_bytes());
        input.push(0);
        input.extend_from_slice(&block.to_be_bytes());
        input.push(0);
        input.extend_from_slice(folded_name.as_bytes());
        let tag = hmac::sign(&self.0, &input);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_has_one_pseudonym_per_key() {
        let key = PseudonymKey::derive(&[7; 32]);
        assert_eq!(key.id("ip99999"), key.id("ip99999"), "stable");
        assert_ne!(key.id("ip99999"), key.id("ip99998"), "one per name");
        let other = PseudonymKey::derive(&[8; 32]);
        assert_ne!(key.id("ip99999"), other.id("ip99999"), "one per key");
        assert_ne!(
            key.bytes("questions", "ip99999", 0),
            key.bytes("questions", "ip99999", 1),
            "blocks differ"
        );
    }
}

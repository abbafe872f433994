//! [`VerifiedTokens`]: our own JWTs whose signature already verified on this node, remembered
//! by the SHA-256 of the compact token until the token's `exp`, in a bounded cache.
//!
//! A resource server introspects the same access token on each of its calls; remembering it
//! skips the signature check, never the expiry or the revocation list (the caller's). It lives
//! with the keys, below every feature, because what it remembers is a fact about our
//! signatures: a key is retired only after every token it signed has expired, so a remembered
//! token can never outlive its key. It holds the decoded claims, of whatever type the caller
//! verified (the state's holds `domain::AccessClaims`), so a hit costs no JSON parsing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use chrono::Utc;
use moka::Expiry;
use moka::sync::Cache;

/// Entries kept at most.
const MAX_ENTRIES: u64 = 10_000;

/// A verified token's claims and expiry (seconds since the epoch).
#[derive(Debug)]
struct Entry<C> {
    claims: Arc<C>,
    exp: i64,
}

impl<C> Clone for Entry<C> {
    fn clone(&self) -> Self {
        Self {
            claims: Arc::clone(&self.claims),
            exp: self.exp,
        }
    }
}

/// Each entry lives until its token's `exp`.
struct UntilExp;

impl<C> Expiry<[u8; 32], Entry<C>> for UntilExp {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        entry: &Entry<C>,
        _created_at: Instant,
    ) -> Option<Duration> {
        let left = entry.exp.saturating_sub(Utc::now().timestamp());
        Some(Duration::from_secs(u64::try_from(left).unwrap_or(0)))
    }
}

/// Tokens whose signature (and the caller's claim checks) passed, by SHA-256 of the token.
#[derive(Debug, Clone)]
pub struct VerifiedTokens<C: Send + Sync + 'static>(Cache<[u8; 32], Entry<C>>);

impl<C: Send + Sync + 'static> Default for VerifiedTokens<C> {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .expire_after(UntilExp)
                .build(),
        )
    }
}

impl<C: Send + Sync + 'static> VerifiedTokens<C> {
    /// The claims of `token` if it verified here before and has not expired.
    pub fn get(&self, token: &str) -> Option<Arc<C>> {
        let entry = self.0.get(&key(token))?;
        (entry.exp > Utc::now().timestamp()).then_some(entry.claims)
    }

    /// Remembers a token that verified, with its claims, until `exp`.
    pub fn remember(&self, token: &str, claims: Arc<C>, exp: i64) {
        if exp > Utc::now().timestamp() {
            self.0.insert(key(token), Entry { claims, exp });
        }
    }
}

fn key(token: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    // A SHA-256 digest is always 32 bytes, so the lengths match.
    key.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
    key
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_token_is_remembered_until_its_exp_and_no_longer() {
        let cache = VerifiedTokens::default();
        let now = Utc::now().timestamp();
        cache.remember("live", Arc::new("{}"), now + 60);
        cache.remember("dead", Arc::new("{}"), now - 1);
        assert_eq!(cache.get("live").as_deref(), Some(&"{}"));
        assert!(cache.get("dead").is_none(), "an expired token is not kept");
        assert!(cache.get("other").is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = VerifiedTokens::default();
        let exp = Utc::now().timestamp() + 60;
        for i in 0..MAX_ENTRIES + 500 {
            cache.remember(&i.to_string(), Arc::new("{}"), exp);
        }
        cache.0.run_pending_tasks();
        assert!(cache.0.entry_count() <= MAX_ENTRIES);
    }
}

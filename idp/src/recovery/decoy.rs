//! Decoy questions for a name that cannot recover online because it is no account (or a
//! disabled one): without them, reaching the questions would tell that a name exists (issue 7).
//! The decoy is derived from the normalised name with a keyed hash, so it is the same on every
//! request and every node, and is walked through the real path: the same challenge record, the
//! same per-account check flight, the same per-IP windows, three Argon2id verifications (against
//! the dummy hash), always refused, and closed after `recovery.max_failed_challenges` wrong sets
//! like a real account's recovery.

use aws_lc_rs::hmac;
use secrecy::ExposeSecret as _;
use uuid::Uuid;

use crate::app::AppState;
use crate::config::Secret32;
use crate::store::{StoreError, windows};

const KIND: &str = "recovery-decoy";

/// How long a decoy's failed challenges are remembered (a real account's stay until the help
/// desk reopens it: after this a decoy reopens, the residual docs/SECURITY.md names).
const MEMORY_SECS: u64 = 30 * 86_400;

/// The decoy of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoy {
    /// Stands where an account id would (challenge, flight and counters are keyed by it); no
    /// account has it.
    pub id: Uuid,
    /// `secret_questions.asked` distinct questions of the catalogue.
    pub questions: Vec<String>,
}

/// The key decoys are derived with: its own, derived from the CSRF key with a label so the
/// two uses never share a key (HMAC as a key-derivation function).
pub fn key(csrf_key: &Secret32) -> Secret32 {
    let parent = hmac::Key::new(hmac::HMAC_SHA256, csrf_key.expose_secret());
    let tag = hmac::sign(&parent, b"idp recovery decoy questions v1");
    let mut derived = [0u8; 32];
    derived.copy_from_slice(tag.as_ref());
    secrecy::SecretBox::new(Box::new(derived))
}

/// The decoy of the normalised (folded) name.
pub fn of(app: &AppState, folded_name: &str) -> Decoy {
    derive(
        &app.decoy_key,
        folded_name,
        &catalogue_ids(app),
        app.config.secret_questions.asked,
    )
}

/// Whether the decoy's recovery is closed (as many wrong sets as a real account may give).
pub async fn closed(app: &AppState, id: Uuid) -> Result<bool, StoreError> {
    let failures = windows::count(&app.kv, KIND, &id.to_string()).await?;
    Ok(i64::from(failures) >= i64::from(app.config.recovery.max_failed_challenges))
}

/// Counts a wrong set; whether the decoy's recovery is now closed.
pub async fn record_failure(app: &AppState, id: Uuid) -> Result<bool, StoreError> {
    let failures = windows::add(&app.kv, KIND, &id.to_string(), MEMORY_SECS).await?;
    Ok(i64::from(failures) >= i64::from(app.config.recovery.max_failed_challenges))
}

fn catalogue_ids(app: &AppState) -> Vec<&str> {
    let catalogue = &app.config.secret_questions.catalogue;
    catalogue.iter().map(|q| q.id.as_str()).collect()
}

/// HMAC-SHA-256 of the name: the first 16 bytes make the id, the next ones draw `n` distinct
/// questions (a partial Fisher–Yates shuffle of the catalogue).
fn derive(key: &Secret32, folded_name: &str, catalogue: &[&str], n: usize) -> Decoy {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret());
    let tag = hmac::sign(&key, folded_name.as_bytes());
    let bytes = tag.as_ref();
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[..16]);
    let mut pool: Vec<&str> = catalogue.to_vec();
    let n = n.min(pool.len()).min(8);
    for i in 0..n {
        let draw = u16::from_le_bytes([bytes[16 + 2 * i], bytes[17 + 2 * i]]);
        let j = i + usize::from(draw) % (pool.len() - i);
        pool.swap(i, j);
    }
    Decoy {
        id: Uuid::from_bytes(id),
        questions: pool.into_iter().take(n).map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> Secret32 {
        secrecy::SecretBox::new(Box::new([byte; 32]))
    }

    const CATALOGUE: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

    #[test]
    fn a_name_always_gets_the_same_three_distinct_questions() {
        let key = key(&secret(7));
        let first = derive(&key, "ip99999", &CATALOGUE, 3);
        assert_eq!(first, derive(&key, "ip99999", &CATALOGUE, 3), "stable");
        assert_eq!(first.questions.len(), 3);
        let distinct: std::collections::HashSet<_> = first.questions.iter().collect();
        assert_eq!(distinct.len(), 3, "distinct: {:?}", first.questions);
        assert!(
            first
                .questions
                .iter()
                .all(|q| CATALOGUE.contains(&q.as_str()))
        );
    }

    #[test]
    fn names_and_keys_draw_different_decoys() {
        let key = key(&secret(7));
        let a = derive(&key, "ip99999", &CATALOGUE, 3);
        let b = derive(&key, "ip99998", &CATALOGUE, 3);
        assert_ne!(a.id, b.id, "each name its own id");
        let other = derive(&super::key(&secret(8)), "ip99999", &CATALOGUE, 3);
        assert_ne!(a.id, other.id, "another server secret, another decoy");
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            seen.extend(derive(&key, &format!("ip{i}"), &CATALOGUE, 3).questions);
        }
        assert_eq!(seen.len(), CATALOGUE.len(), "every question can be a decoy");
    }

    #[test]
    fn the_derived_key_is_not_the_csrf_key() {
        let csrf = secret(7);
        assert_ne!(key(&csrf).expose_secret(), csrf.expose_secret());
    }
}

//! Decoy questions for a name that cannot recover online because it is no account (or a
//! disabled one): without them, reaching the questions would tell that a name exists (issue 7).
//! The decoy is derived from the normalised name with a keyed hash, so it is the same on every
//! request and every node, and is walked through the real path: a challenge record (kept only
//! as long as the browser's step, since it is derived, not drawn), the same per-account check
//! flight, the same per-IP windows, three Argon2id verifications (against the dummy hash),
//! always refused, and closed after `recovery.max_failed_challenges` wrong sets like a real
//! account's recovery.

use uuid::Uuid;

use crate::domain::PseudonymKey;
use crate::state::AppState;
use crate::store::{StoreError, windows};

const KIND: &str = "recovery-decoy";

/// How long a decoy's failed challenges are remembered (a real account's stay until the help
/// desk reopens it: after this a decoy reopens, the residual docs/SECURITY.md names).
const MEMORY_SECS: u64 = 30 * 86_400;

/// The decoy of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoy {
    /// The name's pseudonym: stands where an account id would (challenge, flight and counters
    /// are keyed by it); no account has it.
    pub id: Uuid,
    /// `secret_questions.asked` distinct questions of the catalogue.
    pub questions: Vec<String>,
}

/// The decoy of the normalised (folded) name.
pub fn of(app: &AppState, folded_name: &str) -> Decoy {
    let catalogue = &app.config.secret_questions.catalogue;
    let ids: Vec<&str> = catalogue.iter().map(|q| q.id.as_str()).collect();
    derive(
        &app.pseudonyms,
        folded_name,
        &ids,
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

/// `n` distinct questions drawn from the catalogue by a keyed stream of the name (a partial
/// Fisher–Yates shuffle, 16 bits a draw).
fn derive(key: &PseudonymKey, folded_name: &str, catalogue: &[&str], n: usize) -> Decoy {
    let mut pool: Vec<&str> = catalogue.to_vec();
    let n = n.min(pool.len());
    let mut block = [0u8; 32];
    for i in 0..n {
        if i % 16 == 0 {
            block = key.bytes("questions", folded_name, u32::try_from(i / 16).unwrap_or(0));
        }
        let at = 2 * (i % 16);
        let draw = u16::from_le_bytes([block[at], block[at + 1]]);
        let j = i + usize::from(draw) % (pool.len() - i);
        pool.swap(i, j);
    }
    Decoy {
        id: key.id(folded_name),
        questions: pool.into_iter().take(n).map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

    #[test]
    fn a_name_always_gets_the_same_distinct_questions() {
        let key = PseudonymKey::derive(&[7; 32]);
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
        assert_eq!(first.id, key.id("ip99999"), "the name's pseudonym");
    }

    #[test]
    fn names_draw_different_decoys_and_any_number_of_questions() {
        let key = PseudonymKey::derive(&[7; 32]);
        let mut seen = std::collections::HashSet::new();
        for i in 0..200 {
            seen.extend(derive(&key, &format!("ip{i}"), &CATALOGUE, 3).questions);
        }
        assert_eq!(seen.len(), CATALOGUE.len(), "every question can be a decoy");
        let many: Vec<String> = (0..40).map(|i| format!("q{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let asked = derive(&key, "ip99999", &many, 20).questions;
        let distinct: std::collections::HashSet<_> = asked.iter().collect();
        assert_eq!(distinct.len(), 20, "more than 16 draws: {asked:?}");
    }
}

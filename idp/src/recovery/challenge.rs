//! The questions an account is asked: `secret_questions.asked` of the ones it answered, picked
//! at random, kept in Redis per ACCOUNT (not per browser) for `recovery.challenge_ttl_secs`
//! (7 days by default). Reloading, starting again, starting from another browser or waiting
//! shows the same questions until they are answered right, recovery closes, or the help desk
//! reopens it: no shopping for easier questions.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::store::{Kv, StoreError, ephemeral};
use crate::web::PageError;

const KIND: &str = "recovery-challenge";

/// The questions asked of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Question ids, in the order shown.
    pub questions: Vec<String>,
}

/// The account's challenge, reused when one is under way and still askable (every question
/// still among `answered`), else a new one. Returns it and whether it was reused.
#[tracing::instrument(skip_all, fields(account = %account))]
pub async fn open(
    app: &AppState,
    account: Uuid,
    answered: &[String],
) -> Result<(Challenge, bool), PageError> {
    let id = account.to_string();
    if let Some(current) = current(app, account).await? {
        if current.questions.iter().all(|q| answered.contains(q)) {
            return Ok((current, true));
        }
        // The user changed their questions since: this challenge cannot be answered.
        ephemeral::delete(&app.kv, KIND, &id).await?;
    }
    let picked = Challenge {
        questions: pick(answered, app.config.secret_questions.asked)?,
    };
    // Two starts at once must not show two sets of questions: the first one stored wins.
    let ttl = app.config.recovery.challenge_ttl_secs;
    if ephemeral::put_new(&app.kv, KIND, &id, &picked, ttl).await? {
        return Ok((picked, false));
    }
    match current(app, account).await? {
        Some(winner) => Ok((winner, true)),
        None => Err(PageError::internal(
            "recovery challenge vanished while opening",
        )),
    }
}

/// A decoy's challenge (`decoy.rs`): exactly `questions`, in their order, kept for `ttl_secs`
/// from the latest start (every browser that starts finds it for as long as its own step
/// lasts). The questions are derived from the name, so they are the same whenever the
/// challenge is written again: it need not last days like an account's, and an attacker's
/// stream of unknown names leaves nothing in Redis for long.
pub async fn open_fixed(
    app: &AppState,
    id: Uuid,
    questions: &[String],
    ttl_secs: u64,
) -> Result<(), PageError> {
    let fixed = Challenge {
        questions: questions.to_vec(),
    };
    ephemeral::put(&app.kv, KIND, &id.to_string(), &fixed, ttl_secs).await?;
    Ok(())
}

/// The account's challenge under way, if any.
pub async fn current(app: &AppState, account: Uuid) -> Result<Option<Challenge>, StoreError> {
    ephemeral::get(&app.kv, KIND, &account.to_string()).await
}

/// Ends the account's challenge (answered right, recovery closed, or reopened by the help
/// desk): the next recovery draws new questions.
pub async fn close(kv: &Kv, account: Uuid) -> Result<(), StoreError> {
    ephemeral::delete(kv, KIND, &account.to_string()).await
}

/// `n` distinct ids of `from`, chosen uniformly with the OS random generator (a partial
/// Fisher–Yates shuffle).
fn pick(from: &[String], n: usize) -> Result<Vec<String>, PageError> {
    let mut pool = from.to_vec();
    let n = n.min(pool.len());
    for i in 0..n {
        let j = i + below(pool.len() - i)?;
        pool.swap(i, j);
    }
    pool.truncate(n);
    Ok(pool)
}

/// A uniform random number in `0..bound` (`bound` ≥ 1), by rejection sampling.
fn below(bound: usize) -> Result<usize, PageError> {
    let bound = bound as u64;
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let mut bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut bytes).map_err(PageError::internal)?;
        let x = u64::from_le_bytes(bytes);
        if x < zone {
            return Ok(usize::try_from(x % bound).unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_distinct_questions_among_the_answered_ones() {
        let answered: Vec<String> = (1..=8).map(|i| format!("q{i}")).collect();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let picked = pick(&answered, 3).unwrap_or_default();
            assert_eq!(picked.len(), 3);
            let distinct: std::collections::HashSet<_> = picked.iter().collect();
            assert_eq!(distinct.len(), 3, "no question twice: {picked:?}");
            assert!(picked.iter().all(|q| answered.contains(q)));
            seen.extend(picked);
        }
        assert_eq!(seen.len(), 8, "every answered question can be asked");
    }

    #[test]
    fn random_numbers_stay_below_the_bound() {
        for bound in 1..10 {
            for _ in 0..50 {
                assert!(below(bound).unwrap_or(usize::MAX) < bound);
            }
        }
    }
}

//! One answer check at a time per account, across every node. Without it, answers posted in
//! parallel would all be checked before the first failure is counted, and the recovery limit
//! and the lockout would bound nothing. The flight is a Redis record
//! (`<prefix>recovery-check:{account}`, created only if absent) holding a random value, so only
//! its holder lets it go; if a node dies holding it, it lapses after `HOLD_SECS`.

use uuid::Uuid;

use crate::state::AppState;
use crate::store::{StoreError, ephemeral};

const KIND: &str = "recovery-check";

/// Longest a check may hold its account's flight (three Argon2id checks take far less).
const HOLD_SECS: u64 = 15;

/// An account's answer check under way (see `take`).
#[derive(Debug)]
pub struct Flight {
    account: String,
    value: String,
}

/// Takes the account's flight; `None` when another check of the account is under way. A
/// Redis failure is an error (the caller fails closed).
pub async fn take(app: &AppState, account: Uuid) -> Result<Option<Flight>, StoreError> {
    let flight = Flight {
        account: account.to_string(),
        value: Uuid::new_v4().to_string(),
    };
    let taken =
        ephemeral::put_new(&app.kv, KIND, &flight.account, &flight.value, HOLD_SECS).await?;
    Ok(taken.then_some(flight))
}

impl Flight {
    /// Lets the flight go once the check's outcome is recorded. A failure is only logged: the
    /// key lapses by itself after `HOLD_SECS`.
    pub async fn land(self, app: &AppState) {
        let landed = ephemeral::delete_if(&app.kv, KIND, &self.account, &self.value).await;
        if let Err(e) = landed {
            tracing::warn!(error = %crate::error::Chain(&e), "recovery: answer-check flight not released; it lapses");
        }
    }
}

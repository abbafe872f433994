//! One answer check at a time per account, across every node. Without it, answers posted in
//! parallel would all be checked before the first failure is counted, and the recovery limit
//! and the lockout would bound nothing. The flight is a Redis key
//! (`<prefix>recovery-check:{account}`, `SET NX EX`) holding a random value, so only its holder
//! lets it go; if a node dies holding it, it lapses after `HOLD_SECS`.

use std::sync::LazyLock;

use redis::Script;
use uuid::Uuid;

use crate::app::AppState;
use crate::store::StoreError;

const KIND: &str = "recovery-check";

/// Longest a check may hold its account's flight (three Argon2id checks take far less).
const HOLD_SECS: u64 = 15;

/// Deletes the key only while it still holds this flight's value.
static LAND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
          return 0",
    )
});

/// An account's answer check under way (see `take`).
#[derive(Debug)]
pub struct Flight {
    key: String,
    value: String,
}

/// Takes the account's flight; `None` when another check of the account is under way. A
/// Redis failure is an error (the caller fails closed).
pub async fn take(app: &AppState, account: Uuid) -> Result<Option<Flight>, StoreError> {
    let flight = Flight {
        key: app.kv.key(KIND, &account.to_string()),
        value: Uuid::new_v4().to_string(),
    };
    let mut conn = app.kv.conn();
    let set: Option<String> = redis::cmd("SET")
        .arg(&flight.key)
        .arg(&flight.value)
        .arg("NX")
        .arg("EX")
        .arg(HOLD_SECS)
        .query_async(&mut conn)
        .await?;
    Ok(set.map(|_| flight))
}

impl Flight {
    /// Lets the flight go once the check's outcome is recorded. A failure is only logged: the
    /// key lapses by itself after `HOLD_SECS`.
    pub async fn land(self, app: &AppState) {
        let mut conn = app.kv.conn();
        let landed: Result<i64, _> = LAND
            .key(&self.key)
            .arg(&self.value)
            .invoke_async(&mut conn)
            .await;
        if let Err(e) = landed {
            tracing::warn!(error = %e, "recovery: answer-check flight not released; it lapses");
        }
    }
}

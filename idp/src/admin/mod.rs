//! Registering relying parties and accounts: what the security team does from the command line
//! (and the seeding of dev and tests) until the admin console exists.

pub mod clients;
pub mod delegations;
pub mod roles;
pub mod temp_password;
pub mod users;

use crate::domain::LoginName;
use crate::store::accounts::{self, Account};
use crate::store::{GenericClient, StoreError};

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request names something that does not exist or breaks a rule; nothing changed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account a command names by any of its login names.
async fn account_named(db: &impl GenericClient, username: &str) -> Result<Account, AdminError> {
    let name = LoginName::parse(username)
        .map_err(|_| AdminError::Invalid(format!("`{username}` is not a username")))?;
    accounts::find_by_login_name(db, &name.folded())
        .await?
        .map(|found| found.account)
        .ok_or_else(|| AdminError::Invalid(format!("no account `{username}`")))
}

/// Records an administrative change in the audit trail, in the change's transaction.
async fn audit(
    db: &impl GenericClient,
    kind: &str,
    account: &Account,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let event = crate::store::audit::Event {
        kind,
        outcome: "success",
        account_id: Some(account.id),
        client_id: None,
        ip: None,
        user_agent: None,
        detail,
    };
    crate::store::audit::record(db, &event).await
}

//! `idp users grant NAME ROLE` / `revoke`: agency roles, audited. The next token issued to the
//! account carries the change in its `roles` claim.

use crate::domain::Role;
use crate::store::{GenericClient, roles};

use super::{AdminError, account_named, audit};

/// Whether a grant or revoke changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The role was granted or revoked.
    Changed,
    /// The account already held (or already lacked) the role; nothing was written.
    Unchanged,
}

/// Parses a role name given on the command line.
pub fn parse(name: &str) -> Result<Role, AdminError> {
    Role::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        AdminError::Invalid(format!(
            "unknown role `{name}`; the roles are {}",
            known.join(", ")
        ))
    })
}

/// Grants `role` to the account named `username` (in the caller's transaction).
#[tracing::instrument(skip_all, fields(role = %role))]
pub async fn grant(
    db: &impl GenericClient,
    username: &str,
    role: Role,
) -> Result<Outcome, AdminError> {
    let account = account_named(db, username).await?;
    // Agency roles are the agency's: a professional's own account never holds one.
    if account.account_type != "staff" {
        return Err(AdminError::Invalid(format!(
            "`{}` is a professional's account: agency roles go to staff (CE…) accounts",
            account.username
        )));
    }
    if !roles::grant(db, account.id, role).await? {
        return Ok(Outcome::Unchanged);
    }
    audit(
        db,
        "role_granted",
        &account,
        serde_json::json!({ "role": role.as_str(), "by": "cli" }),
    )
    .await?;
    Ok(Outcome::Changed)
}

/// Takes `role` from the account named `username` (in the caller's transaction).
#[tracing::instrument(skip_all, fields(role = %role))]
pub async fn revoke(
    db: &impl GenericClient,
    username: &str,
    role: Role,
) -> Result<Outcome, AdminError> {
    let account = account_named(db, username).await?;
    if !roles::revoke(db, account.id, role).await? {
        return Ok(Outcome::Unchanged);
    }
    audit(
        db,
        "role_revoked",
        &account,
        serde_json::json!({ "role": role.as_str(), "by": "cli" }),
    )
    .await?;
    Ok(Outcome::Changed)
}

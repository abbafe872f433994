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
pub async fn grant(
    db: &impl GenericClient,
    username: &str,
    role: Role,
) -> Result<Outcome, AdminError> {
    grant_by(db, username, role, serde_json::json!({ "by": "cli" })).await
}

/// Grants `role`, audited with `by` (who: the command line, or an officer at the console).
#[tracing::instrument(skip_all, fields(role = %role))]
pub async fn grant_by(
    db: &impl GenericClient,
    username: &str,
    role: Role,
    by: serde_json::Value,
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
    audit(db, "role_granted", &account, with_role(by, role)).await?;
    Ok(Outcome::Changed)
}

/// Takes `role` from the account named `username` (in the caller's transaction).
pub async fn revoke(
    db: &impl GenericClient,
    username: &str,
    role: Role,
) -> Result<Outcome, AdminError> {
    revoke_by(db, username, role, serde_json::json!({ "by": "cli" })).await
}

/// Takes `role` away, audited with `by`.
#[tracing::instrument(skip_all, fields(role = %role))]
pub async fn revoke_by(
    db: &impl GenericClient,
    username: &str,
    role: Role,
    by: serde_json::Value,
) -> Result<Outcome, AdminError> {
    let account = account_named(db, username).await?;
    if !roles::revoke(db, account.id, role).await? {
        return Ok(Outcome::Unchanged);
    }
    audit(db, "role_revoked", &account, with_role(by, role)).await?;
    Ok(Outcome::Changed)
}

/// The audit detail: who, and the role.
fn with_role(mut by: serde_json::Value, role: Role) -> serde_json::Value {
    if let Some(members) = by.as_object_mut() {
        members.insert("role".into(), role.as_str().into());
    }
    by
}

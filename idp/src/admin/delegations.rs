//! `idp delegations grant|revoke|list`: a staff account (CE…) acting for a professional (IP…),
//! at one service or all, audited. Tokens read the active delegations when they are issued, so
//! a revoked one is gone from the next token and from the next refresh.

use crate::store::{GenericClient, clients, delegations};

use super::roles::Outcome;
use super::{AdminError, account_named, audit};

/// Who acts for whom, and where.
#[derive(Debug, Clone, Copy)]
pub struct Delegation<'a> {
    /// The staff account's username (`CE…`).
    pub staff: &'a str,
    /// The professional's username (`IP…`).
    pub professional: &'a str,
    /// A client id; `None` for every service.
    pub service: Option<&'a str>,
}

/// The two accounts and the service, each checked.
async fn resolve(
    db: &impl GenericClient,
    delegation: Delegation<'_>,
) -> Result<
    (
        crate::store::accounts::Account,
        crate::store::accounts::Account,
    ),
    AdminError,
> {
    let staff = account_named(db, delegation.staff).await?;
    if staff.account_type != "staff" {
        return Err(AdminError::Invalid(format!(
            "`{}` is not a staff account: --staff takes a CE… username",
            delegation.staff
        )));
    }
    let professional = account_named(db, delegation.professional).await?;
    if professional.account_type != "professional" {
        return Err(AdminError::Invalid(format!(
            "`{}` is not a professional: --for takes an IP… username",
            delegation.professional
        )));
    }
    if let Some(service) = delegation.service
        && clients::get(db, service).await?.is_none()
    {
        return Err(AdminError::Invalid(format!(
            "no service `{service}`: --service takes a registered client id (`idp clients list`)"
        )));
    }
    Ok((staff, professional))
}

fn detail(
    delegation: Delegation<'_>,
    professional: &crate::store::accounts::Account,
) -> serde_json::Value {
    serde_json::json!({
        "for": professional.id.to_string(),
        "service": delegation.service,
        "by": "cli",
    })
}

/// Grants a delegation (in the caller's transaction).
#[tracing::instrument(skip_all)]
pub async fn grant(
    db: &impl GenericClient,
    delegation: Delegation<'_>,
) -> Result<Outcome, AdminError> {
    let (staff, professional) = resolve(db, delegation).await?;
    if delegations::grant(db, staff.id, professional.id, delegation.service)
        .await?
        .is_none()
    {
        return Ok(Outcome::Unchanged);
    }
    audit(
        db,
        "delegation_granted",
        &staff,
        detail(delegation, &professional),
    )
    .await?;
    Ok(Outcome::Changed)
}

/// Revokes a delegation (in the caller's transaction).
#[tracing::instrument(skip_all)]
pub async fn revoke(
    db: &impl GenericClient,
    delegation: Delegation<'_>,
) -> Result<Outcome, AdminError> {
    let (staff, professional) = resolve(db, delegation).await?;
    if !delegations::revoke(db, staff.id, professional.id, delegation.service).await? {
        return Ok(Outcome::Unchanged);
    }
    audit(
        db,
        "delegation_revoked",
        &staff,
        detail(delegation, &professional),
    )
    .await?;
    Ok(Outcome::Changed)
}

/// The delegations an account takes part in (every delegation when `None`).
pub async fn list(
    db: &impl GenericClient,
    username: Option<&str>,
    include_revoked: bool,
) -> Result<Vec<delegations::Listed>, AdminError> {
    let account = match username {
        Some(name) => Some(account_named(db, name).await?.id),
        None => None,
    };
    Ok(delegations::list(db, account, include_revoked).await?)
}

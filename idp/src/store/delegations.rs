//! Delegations: a staff account acting for a professional, at one service or all (migration
//! V6, `delegations`). The active ones reach tokens through `accounts::COLUMNS`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// One delegation, active or revoked, as `idp delegations list` shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its id.
    pub id: Uuid,
    /// The staff account's username.
    pub staff: String,
    /// The professional's username.
    pub professional: String,
    /// The client id it is limited to; `None` for every service.
    pub service: Option<String>,
    /// When it was granted.
    pub granted_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Records a delegation. Returns its id, or `None` when the same one is already active.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grant(
    client: &impl GenericClient,
    staff: Uuid,
    professional: Uuid,
    service: Option<&str>,
) -> Result<Option<Uuid>, StoreError> {
    const SQL: &str = "INSERT INTO delegations (id, staff_id, professional_id, service) \
                       VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (staff_id, professional_id, coalesce(service, '')) \
                       WHERE revoked_at IS NULL DO NOTHING";
    let id = Uuid::now_v7();
    let inserted = sql::execute(client, SQL, &[&id, &staff, &professional, &service]).await?;
    Ok((inserted == 1).then_some(id))
}

/// Revokes the active delegation of `staff` for `professional` at `service` (`None`: the one
/// for every service). Returns whether one was active.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    client: &impl GenericClient,
    staff: Uuid,
    professional: Uuid,
    service: Option<&str>,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE delegations SET revoked_at = now() \
                       WHERE staff_id = $1 AND professional_id = $2 \
                         AND coalesce(service, '') = coalesce($3, '') AND revoked_at IS NULL";
    Ok(sql::execute(client, SQL, &[&staff, &professional, &service]).await? == 1)
}

/// Every delegation a staff account or a professional takes part in (both when `None`),
/// newest first; revoked ones only when `include_revoked`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    client: &impl GenericClient,
    account: Option<Uuid>,
    include_revoked: bool,
) -> Result<Vec<Listed>, StoreError> {
    const SQL: &str = "SELECT d.id, s.username AS staff, p.username AS professional, d.service, \
                              d.granted_at, d.revoked_at \
                         FROM delegations d \
                         JOIN accounts s ON s.id = d.staff_id \
                         JOIN accounts p ON p.id = d.professional_id \
                        WHERE ($1::uuid IS NULL OR $1 IN (d.staff_id, d.professional_id)) \
                          AND ($2 OR d.revoked_at IS NULL) \
                        ORDER BY d.granted_at DESC, d.id DESC";
    sql::query(client, SQL, &[&account, &include_revoked])
        .await?
        .iter()
        .map(|row| {
            Ok(Listed {
                id: row.col("id")?,
                staff: row.col("staff")?,
                professional: row.col("professional")?,
                service: row.col("service")?,
                granted_at: row.col("granted_at")?,
                revoked_at: row.col("revoked_at")?,
            })
        })
        .collect()
}

/// An active delegation a professional gave, as their page lists it.
#[derive(Debug, Clone)]
pub struct Given {
    /// Its id.
    pub id: Uuid,
    /// The staff account's username.
    pub staff: String,
    /// The staff member's first and last name.
    pub staff_name: String,
    /// The client id it is limited to; `None` for every service.
    pub service: Option<String>,
    /// When it was granted.
    pub granted_at: DateTime<Utc>,
}

/// The active delegations given by `professional`, or held by a staff account when `staff`,
/// oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn active(
    client: &impl GenericClient,
    account: Uuid,
    staff: bool,
) -> Result<Vec<Given>, StoreError> {
    const SQL: &str = "SELECT d.id, o.username AS staff, o.given_name || ' ' || o.family_name AS staff_name, \
                              d.service, d.granted_at \
                         FROM delegations d \
                         JOIN accounts o ON o.id = CASE WHEN $2 THEN d.professional_id ELSE d.staff_id END \
                        WHERE CASE WHEN $2 THEN d.staff_id ELSE d.professional_id END = $1 \
                          AND d.revoked_at IS NULL \
                        ORDER BY d.granted_at, d.id";
    sql::query(client, SQL, &[&account, &staff])
        .await?
        .iter()
        .map(|row| {
            Ok(Given {
                id: row.col("id")?,
                staff: row.col("staff")?,
                staff_name: row.col("staff_name")?,
                service: row.col("service")?,
                granted_at: row.col("granted_at")?,
            })
        })
        .collect()
}

/// Revokes the active delegation `id` that `professional` gave; the staff account it named, or
/// `None` when there is no such active delegation of theirs.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_given(
    client: &impl GenericClient,
    id: Uuid,
    professional: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    const SQL: &str = "UPDATE delegations SET revoked_at = now() \
                       WHERE id = $1 AND professional_id = $2 AND revoked_at IS NULL \
                       RETURNING staff_id";
    sql::query_opt(client, SQL, &[&id, &professional])
        .await?
        .map(|r| r.col("staff_id"))
        .transpose()
}

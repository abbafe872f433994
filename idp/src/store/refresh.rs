//! Refresh-token families (RFC 9700 §4.14.2): every token is single use; presenting a used one
//! revokes the whole family.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// What a grant was issued for; carried through every rotation.
#[derive(Debug, Clone)]
pub struct Family {
    /// Family (grant) id.
    pub id: Uuid,
    /// Who.
    pub account_id: Uuid,
    /// To whom.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// The SSO session it came from.
    pub sid: Option<String>,
    /// When the user authenticated.
    pub auth_time: DateTime<Utc>,
    /// How they authenticated (the session's `amr`, migration V12).
    pub amr: Vec<String>,
    /// Absolute end of the family.
    pub expires_at: DateTime<Utc>,
    /// Set once revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A presented refresh token, locked for the rest of the transaction.
#[derive(Debug)]
pub struct Presented {
    /// Its family.
    pub family: Family,
    /// Its own idle expiry.
    pub expires_at: DateTime<Utc>,
    /// Set when it was already exchanged.
    pub used_at: Option<DateTime<Utc>>,
}

/// Opens a family.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_family(client: &impl GenericClient, family: &Family) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO refresh_families (id, account_id, client_id, scope, sid, auth_time, expires_at, amr) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    sql::execute(
        client,
        SQL,
        &[
            &family.id,
            &family.account_id,
            &family.client_id,
            &family.scope,
            &family.sid,
            &family.auth_time,
            &family.expires_at,
            &family.amr,
        ],
    )
    .await?;
    Ok(())
}

/// Stores a new token of a family.
#[tracing::instrument(level = "debug", skip_all, fields(family = %family_id))]
pub async fn insert_token(
    client: &impl GenericClient,
    token_hash: &[u8],
    family_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)";
    sql::execute(client, SQL, &[&token_hash, &family_id, &expires_at]).await?;
    Ok(())
}

/// Finds a token and locks it (`FOR UPDATE`) so two concurrent exchanges cannot both win.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_for_update(
    client: &impl GenericClient,
    token_hash: &[u8],
) -> Result<Option<Presented>, StoreError> {
    const SQL: &str = "SELECT t.expires_at AS token_expires_at, t.used_at, f.id, f.account_id, f.client_id, f.scope, \
                       f.sid, f.auth_time, f.amr, f.expires_at, f.revoked_at \
                       FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id \
                       WHERE t.token_hash = $1 FOR UPDATE OF t";
    sql::query_opt(client, SQL, &[&token_hash])
        .await?
        .map(|row| presented(&row))
        .transpose()
}

/// Finds a token without locking (introspection).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find(
    client: &impl GenericClient,
    token_hash: &[u8],
) -> Result<Option<Presented>, StoreError> {
    const SQL: &str = "SELECT t.expires_at AS token_expires_at, t.used_at, f.id, f.account_id, f.client_id, f.scope, \
                       f.sid, f.auth_time, f.amr, f.expires_at, f.revoked_at \
                       FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = $1";
    sql::query_opt(client, SQL, &[&token_hash])
        .await?
        .map(|row| presented(&row))
        .transpose()
}

/// Marks a token exchanged.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_used(client: &impl GenericClient, token_hash: &[u8]) -> Result<(), StoreError> {
    sql::execute(
        client,
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?;
    Ok(())
}

/// Revokes a family. Returns whether it was live.
#[tracing::instrument(level = "debug", skip_all, fields(family = %family_id))]
pub async fn revoke_family(
    client: &impl GenericClient,
    family_id: Uuid,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE refresh_families SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL";
    Ok(sql::execute(client, SQL, &[&family_id]).await? == 1)
}

/// Revokes every family born in an SSO session (logout); returns their ids.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_by_sid(
    client: &impl GenericClient,
    sid: &str,
) -> Result<Vec<Uuid>, StoreError> {
    const SQL: &str = "UPDATE refresh_families SET revoked_at = now() WHERE sid = $1 AND revoked_at IS NULL RETURNING id";
    sql::query(client, SQL, &[&sid])
        .await?
        .iter()
        .map(|r| r.col(0))
        .collect()
}

/// Revokes every live family of an account but those born in `keep_sid` (a password change
/// from the settings keeps the current session's); returns their ids.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id))]
pub async fn revoke_for_account(
    client: &impl GenericClient,
    account_id: Uuid,
    keep_sid: Option<&str>,
) -> Result<Vec<Uuid>, StoreError> {
    const SQL: &str = "UPDATE refresh_families SET revoked_at = now() \
                       WHERE account_id = $1 AND revoked_at IS NULL AND sid IS DISTINCT FROM $2 \
                       RETURNING id";
    sql::query(client, SQL, &[&account_id, &keep_sid])
        .await?
        .iter()
        .map(|r| r.col(0))
        .collect()
}

fn presented(row: &tokio_postgres::Row) -> Result<Presented, StoreError> {
    Ok(Presented {
        expires_at: row.col("token_expires_at")?,
        used_at: row.col("used_at")?,
        family: Family {
            id: row.col("id")?,
            account_id: row.col("account_id")?,
            client_id: row.col("client_id")?,
            scope: row.col("scope")?,
            sid: row.col("sid")?,
            auth_time: row.col("auth_time")?,
            amr: row.col("amr")?,
            expires_at: row.col("expires_at")?,
            revoked_at: row.col("revoked_at")?,
        },
    })
}

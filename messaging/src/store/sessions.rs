//! Signed-in browsers and sign-ins under way (migration V3). Keys are SHA-256 digests of the
//! cookie or `state`: a database read never yields a usable cookie.

use chrono::{DateTime, Utc};

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A signed-in browser's session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The person's `sub`.
    pub sub: String,
    /// `IP…`/`CE…`.
    pub username: String,
    /// Display name.
    pub name: String,
    /// The idp's SSO session.
    pub sid: Option<String>,
    /// The id_token (logout hint).
    pub id_token: String,
    /// Agency roles at sign-in.
    pub roles: Vec<String>,
    /// The `acts_for` claim at sign-in (JSON array).
    pub acts_for: serde_json::Value,
    /// The CSRF token of this session's forms.
    pub csrf: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// When the idp last confirmed it (sign-in, or a refresh).
    pub checked_at: DateTime<Utc>,
    /// The refresh token, sealed by the master key.
    pub refresh_sealed: Option<Vec<u8>>,
}

/// Stores a session under `id_hash`.
pub async fn create(
    client: &impl GenericClient,
    id_hash: &[u8],
    s: &WebSession,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO web_sessions (id_hash, sub, username, name, sid, id_token, roles, acts_for, csrf, expires_at, \
                       checked_at, refresh_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    sql::execute(
        client,
        SQL,
        &[
            &id_hash,
            &s.sub,
            &s.username,
            &s.name,
            &s.sid,
            &s.id_token,
            &s.roles,
            &s.acts_for,
            &s.csrf,
            &s.expires_at,
            &s.checked_at,
            &s.refresh_sealed,
        ],
    )
    .await?;
    Ok(())
}

const COLUMNS: &str = "sub, username, name, sid, id_token, roles, acts_for, csrf, expires_at, checked_at, refresh_sealed";

fn from_row(row: &tokio_postgres::Row) -> Result<WebSession, StoreError> {
    Ok(WebSession {
        sub: row.col("sub")?,
        username: row.col("username")?,
        name: row.col("name")?,
        sid: row.col("sid")?,
        id_token: row.col("id_token")?,
        roles: row.col("roles")?,
        acts_for: row.col("acts_for")?,
        csrf: row.col("csrf")?,
        expires_at: row.col("expires_at")?,
        checked_at: row.col("checked_at")?,
        refresh_sealed: row.col("refresh_sealed")?,
    })
}

/// The live session under `id_hash`.
pub async fn get(
    client: &impl GenericClient,
    id_hash: &[u8],
) -> Result<Option<WebSession>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM web_sessions WHERE id_hash = $1 AND expires_at > now()");
    sql::query_opt(client, &sql, &[&id_hash])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// The live session under `id_hash`, locked for the caller's transaction (one check at a time:
/// a refresh token is used once).
pub async fn get_for_update(
    client: &impl GenericClient,
    id_hash: &[u8],
) -> Result<Option<WebSession>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM web_sessions WHERE id_hash = $1 AND expires_at > now() FOR UPDATE"
    );
    sql::query_opt(client, &sql, &[&id_hash])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Records a check: the roles and delegations as the idp states them now, and the next
/// refresh token.
pub async fn checked(
    client: &impl GenericClient,
    id_hash: &[u8],
    roles: &[String],
    acts_for: &serde_json::Value,
    id_token: &str,
    refresh_sealed: Option<&[u8]>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE web_sessions SET roles = $2, acts_for = $3, id_token = $4, refresh_sealed = $5, \
                       checked_at = now() WHERE id_hash = $1";
    sql::execute(
        client,
        SQL,
        &[&id_hash, &roles, &acts_for, &id_token, &refresh_sealed],
    )
    .await?;
    Ok(())
}

/// Ends one session; returns it when it was live.
pub async fn delete(
    client: &impl GenericClient,
    id_hash: &[u8],
) -> Result<Option<String>, StoreError> {
    const SQL: &str = "DELETE FROM web_sessions WHERE id_hash = $1 RETURNING id_token";
    Ok(sql::query_opt(client, SQL, &[&id_hash])
        .await?
        .map(|r| r.col(0))
        .transpose()?)
}

/// Ends every session of an idp SSO session (`sid`), or of a person when the logout token
/// names no session. Returns how many ended.
pub async fn end_for_logout(
    client: &impl GenericClient,
    sid: Option<&str>,
    sub: Option<&str>,
) -> Result<u64, StoreError> {
    const BY_SID: &str = "DELETE FROM web_sessions WHERE sid = $1";
    const BY_SUB: &str = "DELETE FROM web_sessions WHERE sub = $1";
    Ok(match (sid, sub) {
        (Some(sid), _) => sql::execute(client, BY_SID, &[&sid]).await?,
        (None, Some(sub)) => sql::execute(client, BY_SUB, &[&sub]).await?,
        (None, None) => 0,
    })
}

/// Keeps a sign-in under way.
pub async fn put_pending(
    client: &impl GenericClient,
    state_hash: &[u8],
    verifier: &str,
    nonce: &str,
) -> Result<(), StoreError> {
    const PURGE: &str =
        "DELETE FROM pending_logins WHERE created_at < now() - interval '10 minutes'";
    const SQL: &str =
        "INSERT INTO pending_logins (state_hash, verifier, nonce) VALUES ($1, $2, $3)";
    sql::execute(client, PURGE, &[]).await?;
    sql::execute(client, SQL, &[&state_hash, &verifier, &nonce]).await?;
    Ok(())
}

/// Takes a sign-in under way (once; within ten minutes): its verifier and nonce.
pub async fn take_pending(
    client: &impl GenericClient,
    state_hash: &[u8],
) -> Result<Option<(String, String)>, StoreError> {
    const SQL: &str = "DELETE FROM pending_logins WHERE state_hash = $1 \
                       AND created_at >= now() - interval '10 minutes' RETURNING verifier, nonce";
    sql::query_opt(client, SQL, &[&state_hash])
        .await?
        .map(|row| Ok((row.col(0)?, row.col(1)?)))
        .transpose()
}

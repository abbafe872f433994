//! SSO sessions: the row behind the `__Host-` cookie. The cookie holds a 256-bit random id;
//! the table holds only its SHA-256 (ASVS 7.2.3), so a database read gives no live session.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Public session id (the `sid` claim, back-channel logout).
    pub sid: String,
    /// Who.
    pub account_id: Uuid,
    /// When the user last typed credentials (`auth_time`).
    pub auth_time: DateTime<Utc>,
    /// Last request seen.
    pub last_seen_at: DateTime<Utc>,
    /// How the user authenticated (RFC 8176: `pwd`, then `otp` after a second factor).
    pub amr: Vec<String>,
}

/// Opens a session that ends at `expires_at` whatever its use.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id))]
pub async fn insert(
    client: &impl GenericClient,
    id_hash: &[u8],
    sid: &str,
    account_id: Uuid,
    expires_at: DateTime<Utc>,
    amr: &[&str],
) -> Result<Session, StoreError> {
    const SQL: &str = "INSERT INTO sso_sessions (id_hash, sid, account_id, auth_time, expires_at, amr) \
                       VALUES ($1, $2, $3, now(), $4, $5) \
                       RETURNING sid, account_id, auth_time, last_seen_at, amr";
    let row = sql::query_one(
        client,
        SQL,
        &[&id_hash, &sid, &account_id, &expires_at, &amr],
    )
    .await?;
    from_row(&row)
}

/// The session behind a cookie, unless ended, past its absolute end, or idle longer than
/// `idle_secs`; the account must still be enabled.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_live(
    client: &impl GenericClient,
    id_hash: &[u8],
    idle_secs: f64,
) -> Result<Option<Session>, StoreError> {
    const SQL: &str = "SELECT s.sid, s.account_id, s.auth_time, s.last_seen_at, s.amr FROM sso_sessions s \
                       JOIN accounts a ON a.id = s.account_id \
                       WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() \
                       AND s.last_seen_at > now() - make_interval(secs => $2) AND a.disabled_at IS NULL";
    sql::query_opt(client, SQL, &[&id_hash, &idle_secs])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// A session as the account settings list it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Public session id.
    pub sid: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// Last request seen.
    pub last_seen_at: DateTime<Utc>,
}

/// The live sessions of an account, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id))]
pub async fn live_for_account(
    client: &impl GenericClient,
    account_id: Uuid,
    idle_secs: f64,
) -> Result<Vec<Listed>, StoreError> {
    const SQL: &str = "SELECT sid, created_at, last_seen_at FROM sso_sessions \
                       WHERE account_id = $1 AND ended_at IS NULL AND expires_at > now() \
                       AND last_seen_at > now() - make_interval(secs => $2) ORDER BY created_at DESC";
    let rows = sql::query(client, SQL, &[&account_id, &idle_secs]).await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                sid: r.col(0)?,
                created_at: r.col(1)?,
                last_seen_at: r.col(2)?,
            })
        })
        .collect()
}

/// Records activity (callers throttle this to about once a minute).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch(client: &impl GenericClient, sid: &str) -> Result<(), StoreError> {
    sql::execute(
        client,
        "UPDATE sso_sessions SET last_seen_at = now() WHERE sid = $1",
        &[&sid],
    )
    .await?;
    Ok(())
}

/// Ends a session. Returns whether it was live.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end(client: &impl GenericClient, sid: &str) -> Result<bool, StoreError> {
    const SQL: &str =
        "UPDATE sso_sessions SET ended_at = now() WHERE sid = $1 AND ended_at IS NULL";
    Ok(sql::execute(client, SQL, &[&sid]).await? == 1)
}

/// Whether a session is live, holding a share lock until the transaction ends so a
/// concurrent logout (an UPDATE of the row) is ordered before or after, never during.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock_live(client: &impl GenericClient, sid: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT 1 FROM sso_sessions WHERE sid = $1 AND ended_at IS NULL \
                       AND expires_at > now() FOR SHARE";
    Ok(sql::query_opt(client, SQL, &[&sid]).await?.is_some())
}

/// The account a session (live or ended) belongs to.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn account_of(
    client: &impl GenericClient,
    sid: &str,
) -> Result<Option<Uuid>, StoreError> {
    const SQL: &str = "SELECT account_id FROM sso_sessions WHERE sid = $1";
    sql::query_opt(client, SQL, &[&sid])
        .await?
        .map(|r| r.col(0))
        .transpose()
}

/// Remembers that `client_id` received tokens in this session (back-channel logout).
#[tracing::instrument(level = "debug", skip_all, fields(client = %client_id))]
pub async fn add_client(
    client: &impl GenericClient,
    sid: &str,
    client_id: &str,
) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO session_clients (sid, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    sql::execute(client, SQL, &[&sid, &client_id]).await?;
    Ok(())
}

/// The back-channel logout URIs of the clients that took part in a session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn backchannel_targets(
    client: &impl GenericClient,
    sid: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT c.id, c.backchannel_logout_uri FROM session_clients sc \
                       JOIN clients c ON c.id = sc.client_id \
                       WHERE sc.sid = $1 AND c.backchannel_logout_uri IS NOT NULL";
    let rows = sql::query(client, SQL, &[&sid]).await?;
    rows.iter().map(|r| Ok((r.col(0)?, r.col(1)?))).collect()
}

fn from_row(row: &tokio_postgres::Row) -> Result<Session, StoreError> {
    Ok(Session {
        sid: row.col("sid")?,
        account_id: row.col("account_id")?,
        auth_time: row.col("auth_time")?,
        last_seen_at: row.col("last_seen_at")?,
        amr: row.col("amr")?,
    })
}

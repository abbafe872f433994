//! The access journal (migration V2): append-only, exported as CSV for the security team.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// One entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`sub`).
    pub actor_sub: String,
    /// Who (username).
    pub actor_username: String,
    /// `thread.read` or `attachment.download`.
    pub action: String,
    /// Which thread.
    pub thread_id: Uuid,
    /// Which messages were shown.
    pub message_ids: Vec<Uuid>,
    /// Which attachment.
    pub attachment_id: Option<Uuid>,
    /// From where.
    pub ip: Option<IpAddr>,
    /// With what.
    pub user_agent: Option<String>,
}

/// Appends an entry.
pub async fn record(client: &impl GenericClient, e: &Entry) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO access_journal (id, at, actor_sub, actor_username, action, thread_id, \
                       message_ids, attachment_id, ip, user_agent) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::inet, $10)";
    let ip = e.ip.map(|ip| ip.to_string());
    sql::execute(
        client,
        SQL,
        &[
            &Uuid::now_v7(),
            &e.at,
            &e.actor_sub,
            &e.actor_username,
            &e.action,
            &e.thread_id,
            &e.message_ids,
            &e.attachment_id,
            &ip,
            &e.user_agent,
        ],
    )
    .await?;
    Ok(())
}

/// Entries with `from <= at < to`, oldest first, `limit` at most after the keyset `after`.
pub async fn range(
    client: &impl GenericClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<(Uuid, Entry)>, StoreError> {
    const SQL: &str = "SELECT id, at, actor_sub, actor_username, action, thread_id, message_ids, \
                              attachment_id, host(ip) AS ip, user_agent FROM access_journal \
                        WHERE at >= $1 AND at < $2 AND ($3::timestamptz IS NULL OR (at, id) > ($3, $4)) \
                        ORDER BY at, id LIMIT $5";
    let (after_at, after_id) = match after {
        Some((at, id)) => (Some(at), Some(id)),
        None => (None, None),
    };
    sql::query(client, SQL, &[&from, &to, &after_at, &after_id, &limit])
        .await?
        .iter()
        .map(|row| {
            let ip: Option<String> = row.col("ip")?;
            Ok((
                row.col("id")?,
                Entry {
                    at: row.col("at")?,
                    actor_sub: row.col("actor_sub")?,
                    actor_username: row.col("actor_username")?,
                    action: row.col("action")?,
                    thread_id: row.col("thread_id")?,
                    message_ids: row.col("message_ids")?,
                    attachment_id: row.col("attachment_id")?,
                    ip: ip.and_then(|ip| ip.parse().ok()),
                    user_agent: row.col("user_agent")?,
                },
            ))
        })
        .collect()
}

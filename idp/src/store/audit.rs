//! The audit trail (ASVS 16.3.1): every authentication event with its outcome, never a secret.
//! Append-only: the table refuses updates and deletes (migration V3).

use std::net::IpAddr;

use uuid::Uuid;

use super::{GenericClient, StoreError, sql};

/// One event.
#[derive(Debug)]
pub struct Event<'a> {
    /// What happened (`login`, `token`, `logout`, `code_replay`, …).
    pub kind: &'a str,
    /// `success`, `failure`, `locked`, …
    pub outcome: &'a str,
    /// Whose account, when known.
    pub account_id: Option<Uuid>,
    /// Which client, when any.
    pub client_id: Option<&'a str>,
    /// From where.
    pub ip: Option<IpAddr>,
    /// The browser's `User-Agent`, truncated.
    pub user_agent: Option<&'a str>,
    /// Anything else worth keeping (never a secret).
    pub detail: serde_json::Value,
}

/// Appends an event.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(client: &impl GenericClient, event: &Event<'_>) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO audit_events (id, kind, outcome, account_id, client_id, ip, user_agent, detail) \
                       VALUES ($1, $2, $3, $4, $5, $6::text::inet, $7, $8)";
    let ip = event.ip.map(|ip| ip.to_string());
    sql::execute(
        client,
        SQL,
        &[
            &Uuid::now_v7(),
            &event.kind,
            &event.outcome,
            &event.account_id,
            &event.client_id,
            &ip,
            &event.user_agent,
            &event.detail,
        ],
    )
    .await?;
    Ok(())
}

/// Appends an event outside any transaction; a failure is logged, never shown (the action it
/// records has already happened).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn note(db: &deadpool_postgres::Pool, event: &Event<'_>) {
    let result = match db.get().await {
        Ok(client) => record(&client, event).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        tracing::error!(error = %crate::error::Chain(&e), kind = event.kind, "audit event not recorded");
    }
}

/// What the security console searches the trail by (every part optional).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Events about this account.
    pub account: Option<Uuid>,
    /// Events an agent's console action wrote (`detail.agent`).
    pub agent: Option<Uuid>,
    /// This kind (`login`, `helpdesk_action`, …).
    pub kind: Option<String>,
    /// From this instant.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this instant.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// From this client address.
    pub ip: Option<IpAddr>,
}

/// One event as the console lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// What.
    pub kind: String,
    /// Outcome.
    pub outcome: String,
    /// Whose account (its username), when known.
    pub username: Option<String>,
    /// Which client.
    pub client_id: Option<String>,
    /// From where.
    pub ip: Option<String>,
    /// The rest, as JSON text.
    pub detail: String,
}

/// The events matching `filter`, newest first, at most `limit` (indexes: migration V14).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    client: &impl GenericClient,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    use super::RowExt as _;
    const SQL: &str = "SELECT e.at, e.kind, e.outcome, a.username, e.client_id, \
                              host(e.ip) AS ip, e.detail::text AS detail \
                         FROM audit_events e LEFT JOIN accounts a ON a.id = e.account_id \
                        WHERE ($1::uuid IS NULL OR e.account_id = $1) \
                          AND ($2::text IS NULL OR e.detail->>'agent' = $2) \
                          AND ($3::text IS NULL OR e.kind = $3) \
                          AND ($4::timestamptz IS NULL OR e.at >= $4) \
                          AND ($5::timestamptz IS NULL OR e.at < $5) \
                          AND ($6::text IS NULL OR e.ip = $6::text::inet) \
                        ORDER BY e.at DESC, e.id DESC LIMIT $7";
    let agent = filter.agent.map(|a| a.to_string());
    let ip = filter.ip.map(|ip| ip.to_string());
    sql::query(
        client,
        SQL,
        &[
            &filter.account,
            &agent,
            &filter.kind,
            &filter.from,
            &filter.until,
            &ip,
            &limit,
        ],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(Listed {
            at: row.col("at")?,
            kind: row.col("kind")?,
            outcome: row.col("outcome")?,
            username: row.col("username")?,
            client_id: row.col("client_id")?,
            ip: row.col("ip")?,
            detail: row.col("detail")?,
        })
    })
    .collect()
}

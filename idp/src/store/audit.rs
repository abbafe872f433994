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

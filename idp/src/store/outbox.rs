//! The e-mail outbox: notices written with the change they report, delivered by the worker.

use uuid::Uuid;

use super::{GenericClient, StoreError, sql};

/// Adds a notice to send.
pub async fn insert(
    client: &impl GenericClient,
    recipient: &str,
    locale: &str,
    recipient_name: &str,
    notice: &serde_json::Value,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO outbox (id, recipient, recipient_name, locale, notice) \
                       VALUES ($1, $2, $3, $4, $5)";
    sql::execute(
        client,
        SQL,
        &[&Uuid::now_v7(), &recipient, &recipient_name, &locale, notice],
    )
    .await?;
    Ok(())
}

//! Consent a user gave a third-party client, remembered per user and client.

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// The scopes a user already granted a client.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id, client = %client_id))]
pub async fn granted(
    client: &impl GenericClient,
    account_id: Uuid,
    client_id: &str,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "SELECT scopes FROM consents WHERE account_id = $1 AND client_id = $2";
    Ok(sql::query_opt(client, SQL, &[&account_id, &client_id])
        .await?
        .map(|r| r.col(0))
        .transpose()?
        .unwrap_or_default())
}

/// Records (or widens) consent.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account_id, client = %client_id))]
pub async fn grant(
    client: &impl GenericClient,
    account_id: Uuid,
    client_id: &str,
    scopes: &[String],
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO consents (account_id, client_id, scopes) VALUES ($1, $2, $3) \
                       ON CONFLICT ON CONSTRAINT consents_pkey DO UPDATE SET \
                       scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || EXCLUDED.scopes)), granted_at = now()";
    sql::execute(client, SQL, &[&account_id, &client_id, &scopes]).await?;
    Ok(())
}

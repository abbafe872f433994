//! Passkeys (migration V16): the WebAuthn credentials an account signs in with as its second
//! factor. The credential itself is webauthn-rs's serialised `Passkey` (public material), kept
//! as JSON; the feature (`second_factor::passkey`) reads and writes it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A passkey of an account.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id (the settings page removes it by this).
    pub id: Uuid,
    /// The name its owner gave it.
    pub name: String,
    /// The serialised `webauthn_rs::prelude::Passkey`.
    pub passkey: serde_json::Value,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last served.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The account's passkeys, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn of_account(
    client: &impl GenericClient,
    account: Uuid,
) -> Result<Vec<Stored>, StoreError> {
    const SQL: &str = "SELECT id, name, passkey, created_at, last_used_at FROM passkeys \
                       WHERE account_id = $1 ORDER BY created_at, id";
    sql::query(client, SQL, &[&account])
        .await?
        .iter()
        .map(|row| {
            Ok(Stored {
                id: row.col("id")?,
                name: row.col("name")?,
                passkey: row.col("passkey")?,
                created_at: row.col("created_at")?,
                last_used_at: row.col("last_used_at")?,
            })
        })
        .collect()
}

/// Adds a passkey; a credential id already registered (to anyone) is a
/// `Conflict::PasskeyTaken` (WebAuthn §7.1 step 22).
#[tracing::instrument(level = "debug", skip_all, fields(account = %account))]
pub async fn insert(
    client: &impl GenericClient,
    account: Uuid,
    credential_id: &[u8],
    name: &str,
    passkey: &serde_json::Value,
) -> Result<Uuid, StoreError> {
    const SQL: &str = "INSERT INTO passkeys (id, account_id, credential_id, name, passkey) \
                       VALUES ($1, $2, $3, $4, $5)";
    let id = Uuid::new_v4();
    sql::execute(
        client,
        SQL,
        &[&id, &account, &credential_id, &name, passkey],
    )
    .await?;
    Ok(id)
}

/// Records a use: the credential as it stands after the assertion (its signature counter and
/// backup state, WebAuthn §7.2 steps 21–22), and the time.
pub async fn used(
    client: &impl GenericClient,
    account: Uuid,
    credential_id: &[u8],
    passkey: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE passkeys SET last_used_at = now(), passkey = coalesce($3, passkey) \
                       WHERE account_id = $1 AND credential_id = $2";
    sql::execute(client, SQL, &[&account, &credential_id, &passkey]).await?;
    Ok(())
}

/// Removes one of the account's passkeys; whether it was there.
pub async fn remove(
    client: &impl GenericClient,
    account: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    const SQL: &str = "DELETE FROM passkeys WHERE account_id = $1 AND id = $2";
    Ok(sql::execute(client, SQL, &[&account, &id]).await? == 1)
}

//! Password credentials: the current hash, its history, and temporary passwords.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// Replaces the hash after a successful login with new cost parameters; the password, its
/// age and its temporary flag stay as they were.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn rehash(client: &impl GenericClient, id: Uuid, phc: &str) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE password_credentials SET phc = $2 WHERE account_id = $1";
    sql::execute(client, SQL, &[&id, &phc]).await?;
    Ok(())
}

/// Sets a new password (in the caller's transaction): the current one moves to the history,
/// which keeps `keep` entries. `temporary_expires_at` marks a help-desk temporary password.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn set(
    client: &impl GenericClient,
    id: Uuid,
    phc: &str,
    temporary_expires_at: Option<DateTime<Utc>>,
    keep: u32,
) -> Result<(), StoreError> {
    const RETIRE: &str = "INSERT INTO password_history (account_id, phc) \
                          SELECT account_id, phc FROM password_credentials \
                          WHERE account_id = $1 AND temporary_expires_at IS NULL";
    const UPSERT: &str = "INSERT INTO password_credentials (account_id, phc, changed_at, temporary_expires_at) \
                          VALUES ($1, $2, now(), $3) ON CONFLICT (account_id) DO UPDATE \
                          SET phc = $2, changed_at = now(), temporary_expires_at = $3";
    const TRIM: &str = "DELETE FROM password_history WHERE account_id = $1 AND ctid NOT IN \
                        (SELECT ctid FROM password_history WHERE account_id = $1 \
                         ORDER BY retired_at DESC LIMIT $2)";
    // Serialise concurrent changes of one account.
    const LOCK: &str = "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE";
    sql::execute(client, LOCK, &[&id]).await?;
    sql::execute(client, RETIRE, &[&id]).await?;
    sql::execute(client, UPSERT, &[&id, &phc, &temporary_expires_at]).await?;
    sql::execute(client, TRIM, &[&id, &i64::from(keep)]).await?;
    Ok(())
}

/// The hashes a new password may not match: the current one — always, even a temporary one
/// (the password the help desk read out on the phone never becomes the lasting one, ASVS
/// 6.4.1) — and the ones before it, newest first: the last `n` passwords in all.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn recent(
    client: &impl GenericClient,
    id: Uuid,
    n: u32,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "(SELECT phc FROM password_credentials WHERE account_id = $1) \
                       UNION ALL (SELECT phc FROM password_history WHERE account_id = $1 \
                                  ORDER BY retired_at DESC LIMIT $2)";
    let before = i64::from(n.saturating_sub(1));
    let rows = sql::query(client, SQL, &[&id, &before]).await?;
    rows.iter().map(|r| r.col(0)).collect()
}

/// Spends a temporary password at its first successful use: it stops working now (single
/// use). Returns false when it was already spent or expired (a concurrent login won).
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn spend_temporary(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE password_credentials SET temporary_expires_at = now() \
                       WHERE account_id = $1 AND temporary_expires_at > now()";
    Ok(sql::execute(client, SQL, &[&id]).await? == 1)
}

/// The current hash of an account.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn current(client: &impl GenericClient, id: Uuid) -> Result<Option<String>, StoreError> {
    const SQL: &str = "SELECT phc FROM password_credentials WHERE account_id = $1";
    sql::query_opt(client, SQL, &[&id])
        .await?
        .map(|r| r.col(0))
        .transpose()
}

/// Marks (or clears) the secret questions as owed: a login enters the restricted state at the
/// *Questions secrètes* page until they are saved.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn set_questions_pending(
    client: &impl GenericClient,
    id: Uuid,
    pending: bool,
) -> Result<(), StoreError> {
    const SQL: &str =
        "UPDATE password_credentials SET questions_pending = $2 WHERE account_id = $1";
    sql::execute(client, SQL, &[&id, &pending]).await?;
    Ok(())
}

/// When the password was last set, and whether the secret questions are owed.
#[tracing::instrument(level = "debug", skip_all, fields(account = %id))]
pub async fn state(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<(DateTime<Utc>, bool)>, StoreError> {
    const SQL: &str =
        "SELECT changed_at, questions_pending FROM password_credentials WHERE account_id = $1";
    sql::query_opt(client, SQL, &[&id])
        .await?
        .map(|r| Ok((r.col(0)?, r.col(1)?)))
        .transpose()
}

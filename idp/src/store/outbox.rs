//! The e-mail outbox: notices written with the change they report, delivered by the worker.

use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// Adds a notice to send.
#[tracing::instrument(level = "debug", skip_all)]
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
        &[
            &Uuid::now_v7(),
            &recipient,
            &recipient_name,
            &locale,
            notice,
        ],
    )
    .await?;
    Ok(())
}

/// A message taken from the outbox by one worker.
#[derive(Debug)]
pub struct Claimed {
    /// Row id.
    pub id: Uuid,
    /// Address.
    pub recipient: String,
    /// Name for the greeting.
    pub recipient_name: String,
    /// `fr-CA` or `en`.
    pub locale: String,
    /// The notice (`Notice` as JSON).
    pub notice: serde_json::Value,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

/// Takes up to `limit` due messages (oldest first) and hides them from every other worker for
/// `lease_secs`: `SKIP LOCKED` lets two nodes claim at once without ever taking the same row,
/// and a worker that dies mid-send leaves its rows to be retried when the lease ends.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    client: &impl GenericClient,
    limit: i64,
    max_attempts: i32,
    lease_secs: f64,
) -> Result<Vec<Claimed>, StoreError> {
    const SQL: &str = "UPDATE outbox \
                       SET attempts = attempts + 1, \
                           next_attempt_at = now() + $3::float8 * interval '1 second' \
                       WHERE id = ANY(ARRAY( \
                           SELECT id FROM outbox \
                           WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $2 \
                           ORDER BY next_attempt_at \
                           LIMIT $1 \
                           FOR UPDATE SKIP LOCKED)) \
                       RETURNING id, recipient, recipient_name, locale, notice, attempts";
    let rows = sql::query(client, SQL, &[&limit, &max_attempts, &lease_secs]).await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            Ok(Claimed {
                id: row.col(0)?,
                recipient: row.col(1)?,
                recipient_name: row.col(2)?,
                locale: row.col(3)?,
                notice: row.col(4)?,
                attempts: row.col(5)?,
            })
        })
        .collect::<Result<Vec<Claimed>, StoreError>>()?;
    // UUIDv7 ids sort by creation: send in the order the changes happened.
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Marks a message delivered. Only the notice's kind is kept: a delivered row holds no link
/// and no temporary password.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn mark_sent(client: &impl GenericClient, id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE outbox \
                       SET sent_at = now(), last_error = NULL, \
                           notice = jsonb_build_object('kind', notice->'kind') \
                       WHERE id = $1";
    sql::execute(client, SQL, &[&id]).await?;
    Ok(())
}

/// Records a failed attempt; the next one waits `retry_secs`.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn mark_failed(
    client: &impl GenericClient,
    id: Uuid,
    error: &str,
    retry_secs: f64,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE outbox \
                       SET last_error = $2, next_attempt_at = now() + $3::float8 * interval '1 second' \
                       WHERE id = $1";
    sql::execute(client, SQL, &[&id, &error, &retry_secs]).await?;
    Ok(())
}

/// Records a failure that no retry can fix: the message is never attempted again. As for a
/// delivered one, only the notice's kind is kept: an abandoned row holds no usable link.
#[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
pub async fn give_up(
    client: &impl GenericClient,
    id: Uuid,
    error: &str,
    max_attempts: i32,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE outbox SET last_error = $2, attempts = GREATEST(attempts, $3), \
                           notice = jsonb_build_object('kind', notice->'kind') \
                       WHERE id = $1";
    sql::execute(client, SQL, &[&id, &error, &max_attempts]).await?;
    Ok(())
}

/// Rows whose last allowed attempt was claimed by a node that stopped before recording it
/// (its lease has run out): they will never be tried again, so their single-use link or
/// temporary password is forgotten, as `give_up` would have. Returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn forget_stranded_links(
    client: &impl GenericClient,
    max_attempts: i32,
) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE outbox SET notice = jsonb_build_object('kind', notice->'kind'), \
                           last_error = coalesce(last_error, 'abandoned: its sender stopped') \
                       WHERE sent_at IS NULL AND attempts >= $1 AND next_attempt_at <= now() \
                       AND (notice ? 'link' OR notice ? 'password')";
    Ok(sql::execute(client, SQL, &[&max_attempts]).await?)
}

//! Attachments (migration V6).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// An attachment.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Id.
    pub id: Uuid,
    /// Its thread.
    pub thread_id: Uuid,
    /// The message it was sent with (none yet: only its uploader sees it).
    pub message_id: Option<Uuid>,
    /// Who uploaded it.
    pub uploader_sub: String,
    /// The file's name, cleaned.
    pub file_name: String,
    /// The media type its content showed.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content.
    pub sha256: Vec<u8>,
    /// Its blob's name.
    pub blob_key: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// Stores an attachment's row.
pub async fn insert(client: &impl GenericClient, a: &Attachment) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO attachments (id, thread_id, message_id, uploader_sub, file_name, content_type, \
                       size_bytes, sha256, blob_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    sql::execute(
        client,
        SQL,
        &[
            &a.id,
            &a.thread_id,
            &a.message_id,
            &a.uploader_sub,
            &a.file_name,
            &a.content_type,
            &a.size_bytes,
            &a.sha256,
            &a.blob_key,
            &a.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// An attachment of `thread` by id, with the kind of the message it was sent with
/// (`message` or `note`; none while unsent).
pub async fn get(
    client: &impl GenericClient,
    thread: Uuid,
    id: Uuid,
) -> Result<Option<(Attachment, Option<String>)>, StoreError> {
    const SQL: &str = "SELECT a.id, a.thread_id, a.message_id, a.uploader_sub, a.file_name, a.content_type, \
                       a.size_bytes, a.sha256, a.blob_key, a.created_at, m.kind AS message_kind \
                       FROM attachments a LEFT JOIN messages m ON m.id = a.message_id \
                       WHERE a.id = $1 AND a.thread_id = $2";
    let Some(row) = sql::query_opt(client, SQL, &[&id, &thread]).await? else {
        return Ok(None);
    };
    let attachment = Attachment {
        id: row.col("id")?,
        thread_id: row.col("thread_id")?,
        message_id: row.col("message_id")?,
        uploader_sub: row.col("uploader_sub")?,
        file_name: row.col("file_name")?,
        content_type: row.col("content_type")?,
        size_bytes: row.col("size_bytes")?,
        sha256: row.col("sha256")?,
        blob_key: row.col("blob_key")?,
        created_at: row.col("created_at")?,
    };
    Ok(Some((attachment, row.col("message_kind")?)))
}

/// What a reader sees of a sent attachment.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Id.
    pub id: Uuid,
    /// The message it was sent with.
    pub message_id: Uuid,
    /// The file's name, cleaned.
    pub file_name: String,
    /// The media type its content showed.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
}

/// The attachments sent with `messages`, in upload order.
pub async fn of_messages(
    client: &impl GenericClient,
    messages: &[Uuid],
) -> Result<Vec<Listed>, StoreError> {
    const SQL: &str = "SELECT id, message_id, file_name, content_type, size_bytes FROM attachments \
                       WHERE message_id = ANY($1) ORDER BY id";
    sql::query(client, SQL, &[&messages])
        .await?
        .iter()
        .map(|r| {
            Ok(Listed {
                id: r.col("id")?,
                message_id: r.col("message_id")?,
                file_name: r.col("file_name")?,
                content_type: r.col("content_type")?,
                size_bytes: r.col("size_bytes")?,
            })
        })
        .collect()
}

/// Whether any attachment refers to the blob `name`.
pub async fn blob_in_use(client: &impl GenericClient, name: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT 1 FROM attachments WHERE blob_key = $1 LIMIT 1";
    Ok(sql::query_opt(client, SQL, &[&name]).await?.is_some())
}

/// Sends the caller's unsent attachments `ids` of `thread` with `message`. Returns how many
/// it linked (fewer than asked: some were not the caller's, not in the thread, or sent).
pub async fn link(
    client: &impl GenericClient,
    thread: Uuid,
    message: Uuid,
    uploader: &str,
    ids: &[Uuid],
) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE attachments SET message_id = $3 \
                       WHERE id = ANY($4) AND thread_id = $1 AND uploader_sub = $2 AND message_id IS NULL";
    Ok(sql::execute(client, SQL, &[&thread, &uploader, &message, &ids]).await?)
}

/// Removes the unsent attachments `ids` of `uploader` in `thread` (a message that did not
/// go); returns their blobs' names.
pub async fn delete_unsent_of(
    client: &impl GenericClient,
    thread: Uuid,
    uploader: &str,
    ids: &[Uuid],
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "DELETE FROM attachments WHERE id = ANY($3) AND thread_id = $1 \
                       AND uploader_sub = $2 AND message_id IS NULL RETURNING blob_key";
    sql::query(client, SQL, &[&thread, &uploader, &ids])
        .await?
        .iter()
        .map(|r| Ok(r.col(0)?))
        .collect()
}

/// Removes the attachments never sent within `older_than_hours` of their upload; returns
/// their blobs' names (a blob another attachment still uses stays: see `blob_in_use`).
pub async fn delete_unsent(
    client: &impl GenericClient,
    older_than_hours: i32,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "DELETE FROM attachments WHERE message_id IS NULL \
                       AND created_at < now() - make_interval(hours => $1) RETURNING blob_key";
    sql::query(client, SQL, &[&older_than_hours])
        .await?
        .iter()
        .map(|r| Ok(r.col(0)?))
        .collect()
}

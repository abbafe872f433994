//! Drafts (migration V8): one per person and thread, and one per person for a new thread.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// A draft as stored (its body sealed).
#[derive(Debug, Clone)]
pub struct Draft {
    /// Id (for a new thread, the thread it will open).
    pub id: Uuid,
    /// Who writes it.
    pub author_sub: String,
    /// The thread a reply is for; none for a new thread.
    pub thread_id: Option<Uuid>,
    /// A new thread's category code.
    pub category: String,
    /// A new thread's subject.
    pub subject: String,
    /// A new thread's professional (staff and agents).
    pub professional: String,
    /// The sealed body.
    pub body: Vec<u8>,
    /// A new thread's own key: the KEK that wraps it …
    pub kek_id: Option<Uuid>,
    /// … and the wrapped key.
    pub wrapped_key: Option<Vec<u8>>,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, author_sub, thread_id, category, subject, professional, body, kek_id, \
                       wrapped_key, updated_at";

fn draft(row: &tokio_postgres::Row) -> Result<Draft, StoreError> {
    Ok(Draft {
        id: row.col("id")?,
        author_sub: row.col("author_sub")?,
        thread_id: row.col("thread_id")?,
        category: row.col("category")?,
        subject: row.col("subject")?,
        professional: row.col("professional")?,
        body: row.col("body")?,
        kek_id: row.col("kek_id")?,
        wrapped_key: row.col("wrapped_key")?,
        updated_at: row.col("updated_at")?,
    })
}

/// The author's draft for `thread` (none: their draft of a new thread).
pub async fn get(
    client: &impl GenericClient,
    author: &str,
    thread: Option<Uuid>,
) -> Result<Option<Draft>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM drafts WHERE author_sub = $1 AND thread_id IS NOT DISTINCT FROM $2"
    );
    sql::query_opt(client, &sql, &[&author, &thread])
        .await?
        .map(|row| draft(&row))
        .transpose()
}

/// Saves a draft: the author's existing one of that id, else a new one. `false`: another save
/// made the author's draft for that thread meanwhile (under another id): read it again.
pub async fn save(client: &impl GenericClient, d: &Draft) -> Result<bool, StoreError> {
    const UPDATE: &str = "UPDATE drafts SET category = $3, subject = $4, professional = $5, \
                          body = $6, updated_at = $7 WHERE id = $1 AND author_sub = $2";
    const INSERT: &str = "INSERT INTO drafts (id, author_sub, thread_id, category, subject, \
                          professional, body, kek_id, wrapped_key, updated_at) \
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING";
    let updated = sql::execute(
        client,
        UPDATE,
        &[
            &d.id,
            &d.author_sub,
            &d.category,
            &d.subject,
            &d.professional,
            &d.body,
            &d.updated_at,
        ],
    )
    .await?;
    if updated > 0 {
        return Ok(true);
    }
    let inserted = sql::execute(
        client,
        INSERT,
        &[
            &d.id,
            &d.author_sub,
            &d.thread_id,
            &d.category,
            &d.subject,
            &d.professional,
            &d.body,
            &d.kek_id,
            &d.wrapped_key,
            &d.updated_at,
        ],
    )
    .await?;
    Ok(inserted > 0)
}

/// Removes the author's draft for `thread` (none: of a new thread); whether there was one.
pub async fn delete(
    client: &impl GenericClient,
    author: &str,
    thread: Option<Uuid>,
) -> Result<bool, StoreError> {
    const SQL: &str =
        "DELETE FROM drafts WHERE author_sub = $1 AND thread_id IS NOT DISTINCT FROM $2";
    Ok(sql::execute(client, SQL, &[&author, &thread]).await? > 0)
}

/// Removes drafts left untouched for `days` days; how many.
pub async fn delete_stale(client: &impl GenericClient, days: i32) -> Result<u64, StoreError> {
    const SQL: &str = "DELETE FROM drafts WHERE updated_at < now() - make_interval(days => $1)";
    Ok(sql::execute(client, SQL, &[&days]).await?)
}

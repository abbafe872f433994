//! Messages (migration V1, `messages`, immutable) and who read them (`message_reads`).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};
use crate::domain::{Cursor, Side, ThreadState};

/// A message as stored (its body still sealed).
#[derive(Debug, Clone)]
pub struct Message {
    /// Id.
    pub id: Uuid,
    /// Its thread.
    pub thread_id: Uuid,
    /// An internal note (agency only).
    pub note: bool,
    /// Who wrote it.
    pub author_sub: String,
    /// Their name.
    pub author_name: String,
    /// Their side.
    pub author_side: Side,
    /// The professional a staff member wrote for.
    pub on_behalf_of: Option<String>,
    /// The sealed body.
    pub body: Vec<u8>,
    /// When it was sent: the database's clock at the insert (see [`post`], which does not
    /// write this field).
    pub sent_at: DateTime<Utc>,
}

/// A message and who has read it.
#[derive(Debug, Clone)]
pub struct WithReads {
    /// The message.
    pub message: Message,
    /// `(reader sub, read at)`, first reader first.
    pub reads: Vec<(String, DateTime<Utc>)>,
}

/// Stores a message, moves its thread to `state` and to the top of the lists (unless `None`:
/// an internal note), and announces it on `channel` with `payload` — one statement, one
/// round trip; the announcement leaves when the caller's transaction commits.
pub async fn post(
    client: &impl GenericClient,
    m: &Message,
    state: Option<ThreadState>,
    channel: &str,
    payload: &str,
) -> Result<(), StoreError> {
    // `sent_at` is the database's clock at the insert, not the node's: a reply holds its
    // thread's row lock here, so within a thread the times follow the commits whichever node
    // wrote them (keyset pages never skip a message). `m.sent_at` is not written.
    const SQL: &str = "WITH m AS (INSERT INTO messages (id, thread_id, kind, author_sub, author_name, author_side, \
                           on_behalf_of, body, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp()) \
                           RETURNING sent_at), \
                       t AS (UPDATE threads SET last_message_at = (SELECT sent_at FROM m), state = $9, \
                           closed_at = CASE WHEN $9 = 'closed' THEN closed_at ELSE NULL END \
                           WHERE id = $2 AND $9::text IS NOT NULL RETURNING 1) \
                       SELECT pg_notify($10, $11)::text FROM m";
    let kind = if m.note { "note" } else { "message" };
    let state = state.map(ThreadState::as_str);
    sql::query_one(
        client,
        SQL,
        &[
            &m.id,
            &m.thread_id,
            &kind,
            &m.author_sub,
            &m.author_name,
            &m.author_side.as_str(),
            &m.on_behalf_of,
            &m.body,
            &state,
            &channel,
            &payload,
        ],
    )
    .await?;
    Ok(())
}

fn from_row(row: &Row) -> Result<WithReads, StoreError> {
    let side: String = row.col("author_side")?;
    let kind: String = row.col("kind")?;
    let readers: Vec<String> = row.col("readers")?;
    let read_at: Vec<DateTime<Utc>> = row.col("read_at")?;
    Ok(WithReads {
        message: Message {
            id: row.col("id")?,
            thread_id: row.col("thread_id")?,
            note: kind == "note",
            author_sub: row.col("author_sub")?,
            author_name: row.col("author_name")?,
            author_side: Side::parse(&side)
                .ok_or_else(|| StoreError::Corrupt(format!("author side `{side}`")))?,
            on_behalf_of: row.col("on_behalf_of")?,
            body: row.col("body")?,
            sent_at: row.col("sent_at")?,
        },
        reads: readers.into_iter().zip(read_at).collect(),
    })
}

/// One page of a thread's messages, oldest first, after `cursor`; notes only when asked.
pub async fn page(
    client: &impl GenericClient,
    thread: Uuid,
    include_notes: bool,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<WithReads>, StoreError> {
    const SQL: &str = "SELECT m.id, m.thread_id, m.kind, m.author_sub, m.author_name, m.author_side, \
                              m.on_behalf_of, m.body, m.sent_at, \
                              ARRAY(SELECT r.reader_sub FROM message_reads r WHERE r.message_id = m.id ORDER BY r.read_at, r.reader_sub) AS readers, \
                              ARRAY(SELECT r.read_at FROM message_reads r WHERE r.message_id = m.id ORDER BY r.read_at, r.reader_sub) AS read_at \
                         FROM messages m \
                        WHERE m.thread_id = $1 AND ($2 OR m.kind = 'message') \
                          AND ($3::timestamptz IS NULL OR (m.sent_at, m.id) > ($3, $4)) \
                        ORDER BY m.sent_at, m.id LIMIT $5";
    let (at, id) = match cursor {
        Some(c) => (Some(c.at), Some(c.id)),
        None => (None, None),
    };
    sql::query(client, SQL, &[&thread, &include_notes, &at, &id, &limit])
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Marks these messages read by `reader` (those they wrote excepted); keeps the first time.
pub async fn mark_read(
    client: &impl GenericClient,
    ids: &[Uuid],
    reader: &str,
) -> Result<u64, StoreError> {
    const SQL: &str = "INSERT INTO message_reads (message_id, reader_sub) \
                       SELECT m.id, $2 FROM messages m WHERE m.id = ANY($1) AND m.author_sub <> $2 \
                       ON CONFLICT ON CONSTRAINT message_reads_pkey DO NOTHING";
    Ok(sql::execute(client, SQL, &[&ids, &reader]).await?)
}

/// Moves `reader`'s read mark in `thread` up to `until` (never back): their unread count is
/// the other side's messages after it.
pub async fn mark_thread_read(
    client: &impl GenericClient,
    thread: Uuid,
    reader: &str,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO thread_reads (thread_id, reader_sub, read_until) VALUES ($1, $2, $3) \
                       ON CONFLICT ON CONSTRAINT thread_reads_pkey DO UPDATE \
                       SET read_until = greatest(thread_reads.read_until, EXCLUDED.read_until)";
    sql::execute(client, SQL, &[&thread, &reader, &until]).await?;
    Ok(())
}

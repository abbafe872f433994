//! Threads (migration V1, `threads`): one professional, one team, a category and a subject in
//! clear, a data key wrapped by a KEK; listed newest activity first with keyset pagination.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};
use crate::domain::{Cursor, Side, ThreadState};

/// A thread as stored.
#[derive(Debug, Clone)]
pub struct Thread {
    /// Id.
    pub id: Uuid,
    /// The professional it belongs to.
    pub professional_sub: String,
    /// Their name when it was opened.
    pub professional_name: String,
    /// The team whose queue holds it.
    pub team: String,
    /// Subject category code.
    pub category: String,
    /// Subject line.
    pub subject: String,
    /// State.
    pub state: ThreadState,
    /// The agent working it.
    pub assignee: Option<String>,
    /// Who opened it.
    pub opened_by: Side,
    /// The closed thread it follows up.
    pub refers_to: Option<Uuid>,
    /// The KEK wrapping its data key.
    pub kek_id: Uuid,
    /// Its wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Last message at (the list order).
    pub last_message_at: DateTime<Utc>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "t.id, t.professional_sub, t.professional_name, t.team_code, t.category, \
     t.subject, t.state, t.assignee, t.opened_by, t.refers_to, t.kek_id, t.wrapped_key, \
     t.created_at, t.last_message_at, t.closed_at";

fn from_row(row: &Row) -> Result<Thread, StoreError> {
    let state: String = row.col("state")?;
    let opened_by: String = row.col("opened_by")?;
    Ok(Thread {
        id: row.col("id")?,
        professional_sub: row.col("professional_sub")?,
        professional_name: row.col("professional_name")?,
        team: row.col("team_code")?,
        category: row.col("category")?,
        subject: row.col("subject")?,
        state: ThreadState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("thread state `{state}`")))?,
        assignee: row.col("assignee")?,
        opened_by: Side::parse(&opened_by)
            .ok_or_else(|| StoreError::Corrupt(format!("thread side `{opened_by}`")))?,
        refers_to: row.col("refers_to")?,
        kek_id: row.col("kek_id")?,
        wrapped_key: row.col("wrapped_key")?,
        created_at: row.col("created_at")?,
        last_message_at: row.col("last_message_at")?,
        closed_at: row.col("closed_at")?,
    })
}

/// Stores a new thread (in the caller's transaction, with its first message).
pub async fn insert(client: &impl GenericClient, t: &Thread) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO threads (id, professional_sub, professional_name, team_code, category, \
                       subject, state, assignee, opened_by, refers_to, kek_id, wrapped_key, created_at, last_message_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)";
    sql::execute(
        client,
        SQL,
        &[
            &t.id,
            &t.professional_sub,
            &t.professional_name,
            &t.team,
            &t.category,
            &t.subject,
            &t.state.as_str(),
            &t.assignee,
            &t.opened_by.as_str(),
            &t.refers_to,
            &t.kek_id,
            &t.wrapped_key,
            &t.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// Whether `professional` has any thread.
pub async fn any_for(client: &impl GenericClient, professional: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT 1 FROM threads WHERE professional_sub = $1 LIMIT 1";
    Ok(sql::query_opt(client, SQL, &[&professional])
        .await?
        .is_some())
}

/// A thread by id.
pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Option<Thread>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM threads t WHERE t.id = $1");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// A thread by id, locked for the caller's transaction (a reply or a state change).
pub async fn get_for_update(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Thread>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM threads t WHERE t.id = $1 FOR UPDATE");
    sql::query_opt(client, &sql, &[&id])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Closes a thread.
pub async fn close(client: &impl GenericClient, id: Uuid) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE threads SET state = 'closed', closed_at = now() WHERE id = $1";
    sql::execute(client, SQL, &[&id]).await?;
    Ok(())
}

/// Assigns a thread to an agent (`None`: back to the unassigned queue).
pub async fn assign(
    client: &impl GenericClient,
    id: Uuid,
    agent: Option<&str>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE threads SET assignee = $2 WHERE id = $1";
    sql::execute(client, SQL, &[&id, &agent]).await?;
    Ok(())
}

/// Moves a thread to another team's queue, unassigned.
pub async fn transfer(client: &impl GenericClient, id: Uuid, team: &str) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE threads SET team_code = $2, assignee = NULL WHERE id = $1";
    sql::execute(client, SQL, &[&id, &team]).await?;
    Ok(())
}

/// Whose threads a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The threads of these professionals (their own, and those their staff acts for).
    Professionals(Vec<String>),
    /// The queues of these teams.
    Teams(Vec<String>),
}

/// The filters of a list, all optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A category code.
    pub category: Option<String>,
    /// A state.
    pub state: Option<ThreadState>,
    /// Activity at or after.
    pub from: Option<DateTime<Utc>>,
    /// Activity before.
    pub to: Option<DateTime<Utc>>,
    /// Words in the subject (case-insensitive).
    pub subject: Option<String>,
    /// Queues only: `Some(None)` unassigned, `Some(Some(agent))` that agent's.
    pub assignee: Option<Option<String>>,
    /// A professional's `sub` (agency side: one person's threads).
    pub professional: Option<String>,
    /// Only threads with a message this reader has not read.
    pub unread_only: bool,
}

/// A line of a list: the thread and how many messages the reader has not read.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The thread.
    pub thread: Thread,
    /// The other side's messages sent after what the reader has been shown.
    pub unread: i64,
}

/// One page of threads, newest activity first, after `cursor` (keyset: no OFFSET). The
/// page is chosen first; its unread counts (the other side's messages after the reader's
/// `read_until`, migration V5) are counted for its rows only, each on an index range.
pub async fn list(
    client: &impl GenericClient,
    scope: &Scope,
    filter: &Filter,
    reader: &str,
    cursor: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let (scope_column, scope_values, other_side) = match scope {
        Scope::Professionals(subs) => ("t.professional_sub", subs, "agency"),
        Scope::Teams(teams) => ("t.team_code", teams, "professional"),
    };
    let escaped_subject = filter.subject.as_deref().map(|s| {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let (assignee_filter, assignee) = match &filter.assignee {
        None => (false, None),
        Some(who) => (true, who.clone()),
    };
    // Unread: the other side's messages (notes only count for agents, from the agency side,
    // so never) after what the reader has been shown.
    let unread = "(SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = $4 \
                   AND m.kind = 'message' AND m.sent_at > coalesce((SELECT r.read_until FROM thread_reads r \
                   WHERE r.thread_id = t.id AND r.reader_sub = $3), '-infinity'))";
    // The page is chosen first (an ordered index scan for one professional or team), and only
    // its rows are counted; the unread filter, when asked for, counts every candidate.
    let unread_filter = if filter.unread_only {
        format!("AND {unread} > 0")
    } else {
        String::new()
    };
    // One professional or team (the usual case) is an equality, which the index answers in
    // order, so the scan stops at the page's end; several need a sort of their threads.
    let scope_condition = if scope_values.len() == 1 {
        format!("{scope_column} = ($1::text[])[1]")
    } else {
        format!("{scope_column} = ANY($1)")
    };
    let sql = format!(
        "SELECT {COLUMNS}, {unread} AS unread FROM ( \
           SELECT * FROM threads t \
            WHERE {scope_condition} \
              AND ($5::timestamptz IS NULL OR (t.last_message_at, t.id) < ($5, $6)) \
              AND ($7::text IS NULL OR t.category = $7) \
              AND ($8::text IS NULL OR t.state = $8) \
              AND ($9::timestamptz IS NULL OR t.last_message_at >= $9) \
              AND ($10::timestamptz IS NULL OR t.last_message_at < $10) \
              AND ($11::text IS NULL OR t.subject ILIKE $11) \
              AND (NOT $12 OR t.assignee IS NOT DISTINCT FROM $13) \
              AND ($14::text IS NULL OR t.professional_sub = $14) \
              {unread_filter} \
            ORDER BY t.last_message_at DESC, t.id DESC LIMIT $2) t \
         ORDER BY t.last_message_at DESC, t.id DESC"
    );
    let (cursor_at, cursor_id) = match cursor {
        Some(c) => (Some(c.at), Some(c.id)),
        None => (None, None),
    };
    let state = filter.state.map(ThreadState::as_str);
    sql::query(
        client,
        &sql,
        &[
            scope_values,
            &limit,
            &reader,
            &other_side,
            &cursor_at,
            &cursor_id,
            &filter.category,
            &state,
            &filter.from,
            &filter.to,
            &escaped_subject,
            &assignee_filter,
            &assignee,
            &filter.professional,
        ],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(Listed {
            thread: from_row(row)?,
            unread: row.col("unread")?,
        })
    })
    .collect()
}

//! Reading a thread: one page of its messages, opened with the thread's data key, with who
//! read each one and when; the page's messages count as read by the caller from now on.
//! Internal notes are shown to the agency side only. Every page read is in the access
//! journal: who, which thread and messages, when, from where.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ThreadError, access};
use crate::domain::{Cursor, Side};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::threads::Thread;
use crate::store::{attachments, journal, messages};

/// A message as a reader sees it.
#[derive(Debug, Clone)]
pub struct ShownMessage {
    /// Id.
    pub id: Uuid,
    /// An internal note.
    pub note: bool,
    /// Author's name.
    pub author_name: String,
    /// Author's side.
    pub author_side: Side,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// « au nom de … »: the professional a staff member wrote for.
    pub on_behalf_of: Option<String>,
    /// The body, in clear.
    pub body: String,
    /// Sent at.
    pub sent_at: DateTime<Utc>,
    /// Who read it (`sub`) and when, besides its author.
    pub reads: Vec<(String, DateTime<Utc>)>,
    /// The files sent with it.
    pub attachments: Vec<attachments::Listed>,
}

/// A page of a thread.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    /// The thread.
    pub thread: Thread,
    /// The side the reader sees it from.
    pub side: Side,
    /// Whether the reader may reassign it (a supervisor of its team).
    pub supervisor: bool,
    /// Messages, oldest first.
    pub messages: Vec<ShownMessage>,
    /// The cursor of the next page, when there is one.
    pub next: Option<Cursor>,
    /// The reader's draft of a reply, when they saved one.
    pub draft: Option<super::drafts::Saved>,
}

/// One page of `thread_id` for `caller`, after `cursor`.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn show(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    cursor: Option<&Cursor>,
) -> Result<ThreadPage, ThreadError> {
    let db = app.db.get().await?;
    let access::Visible {
        thread,
        side,
        teams,
        key,
    } = access::visible(app, &db, caller, thread_id).await?;
    let limit = i64::from(app.config.threads.page_size);
    let mut page = messages::page(&db, thread.id, side == Side::Agency, cursor, limit + 1).await?;
    let next = if page.len() as i64 > limit {
        page.truncate(limit as usize);
        page.last().map(|m| Cursor {
            at: m.message.sent_at,
            id: m.message.id,
        })
    } else {
        None
    };
    let ids: Vec<Uuid> = page.iter().map(|m| m.message.id).collect();
    messages::mark_read(&db, &ids, &caller.sub).await?;
    if let Some(last) = page.last() {
        messages::mark_thread_read(&db, thread.id, &caller.sub, last.message.sent_at).await?;
    }
    let entry = journal::Entry {
        at: Utc::now(),
        actor_sub: caller.sub.clone(),
        actor_username: caller.person.username.clone(),
        action: "thread.read".into(),
        thread_id: thread.id,
        message_ids: ids,
        attachment_id: None,
        ip: caller.origin.ip,
        user_agent: caller.origin.user_agent.clone(),
    };
    journal::record(&db, &entry).await?;
    let ids: Vec<Uuid> = page.iter().map(|m| m.message.id).collect();
    let mut files = attachments::of_messages(&db, &ids).await?;
    let messages = page
        .into_iter()
        .map(|m| {
            let body = key.open_body(m.message.id, &m.message.body)?;
            Ok(ShownMessage {
                id: m.message.id,
                note: m.message.note,
                author_name: m.message.author_name,
                author_side: m.message.author_side,
                mine: m.message.author_sub == caller.sub,
                on_behalf_of: m.message.on_behalf_of,
                body,
                sent_at: m.message.sent_at,
                reads: m.reads,
                attachments: files
                    .extract_if(.., |a| a.message_id == m.message.id)
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, ThreadError>>()?;
    let draft = super::drafts::reply_draft(&db, caller, thread.id, &key).await?;
    Ok(ThreadPage {
        draft,
        supervisor: access::supervises(&thread, &teams),
        thread,
        side,
        messages,
        next,
    })
}

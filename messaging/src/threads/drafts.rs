//! Drafts: what a person is writing, saved as they type (the pages save it after a pause;
//! the API saves it when asked) and given back when they come back, until they send it or
//! empty it. A reply's draft is sealed under its thread's data key and needs the thread to be
//! theirs to see; a new thread's is sealed under a data key of its own, wrapped by the active
//! KEK (migration V8). Sending removes the draft in the message's transaction; a draft left
//! alone for [`STALE_DAYS`] days is removed by the janitor.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ThreadError, access, optional_text};
use crate::crypto::DataKey;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::GenericClient;
use crate::store::drafts::{self, Draft};

/// Days after which an untouched draft is removed.
pub const STALE_DAYS: i32 = 30;
/// Longest category code or professional username a draft keeps.
const SHORT_MAX: usize = 64;

/// A draft's text, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftText {
    /// A new thread's category code.
    pub category: String,
    /// A new thread's subject.
    pub subject: String,
    /// The body.
    pub body: String,
    /// A new thread's professional (staff writing for one, agents writing to one).
    pub professional: String,
}

impl DraftText {
    fn is_empty(&self) -> bool {
        [
            &self.category,
            &self.subject,
            &self.body,
            &self.professional,
        ]
        .iter()
        .all(|f| f.trim().is_empty())
    }
}

/// A saved draft.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Its text.
    pub text: DraftText,
    /// When it was last saved.
    pub updated_at: DateTime<Utc>,
}

/// The caller's draft of a reply in `thread`, or of a new thread (`None`). A thread they may
/// not see is [`ThreadError::NotFound`].
pub async fn load(
    app: &AppState,
    caller: &Caller,
    thread: Option<Uuid>,
) -> Result<Option<Saved>, ThreadError> {
    let db = app.db.get().await?;
    let reply_key = match thread {
        Some(id) => Some(thread_key(app, &db, caller, id).await?),
        None => None,
    };
    let Some(draft) = drafts::get(&db, &caller.sub, thread).await? else {
        return Ok(None);
    };
    let key = match reply_key {
        Some(key) => key,
        None => own_key(app, &db, &draft).await?,
    };
    Ok(Some(Saved {
        text: DraftText {
            body: key.open_draft(draft.id, &draft.body)?,
            category: draft.category,
            subject: draft.subject,
            professional: draft.professional,
        },
        updated_at: draft.updated_at,
    }))
}

/// The caller's draft of a reply in a thread whose key the caller already holds (the thread
/// page shows it in its reply form).
pub(super) async fn reply_draft(
    db: &impl GenericClient,
    caller: &Caller,
    thread: Uuid,
    key: &DataKey,
) -> Result<Option<Saved>, ThreadError> {
    let Some(draft) = drafts::get(db, &caller.sub, Some(thread)).await? else {
        return Ok(None);
    };
    Ok(Some(Saved {
        text: DraftText {
            body: key.open_draft(draft.id, &draft.body)?,
            ..DraftText::default()
        },
        updated_at: draft.updated_at,
    }))
}

/// Saves the caller's draft of a reply in `thread` or of a new thread; an empty one is
/// removed. Returns when it was saved.
pub async fn save(
    app: &AppState,
    caller: &Caller,
    thread: Option<Uuid>,
    text: &DraftText,
) -> Result<DateTime<Utc>, ThreadError> {
    let limits = &app.config.threads;
    let checked = DraftText {
        category: optional_text("category", &text.category, SHORT_MAX, false)?,
        subject: optional_text("subject", &text.subject, limits.subject_max_chars, false)?,
        body: optional_text("body", &text.body, limits.body_max_chars, true)?,
        professional: optional_text("professional", &text.professional, SHORT_MAX, false)?,
    };
    let now = Utc::now();
    if checked.is_empty() {
        discard(app, caller, thread).await?;
        return Ok(now);
    }
    // Two saves racing for a first draft: the loser reads the winner's and saves again.
    for _ in 0..2 {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        let existing = drafts::get(&tx, &caller.sub, thread).await?;
        let (id, key, kek_id, wrapped_key) = match (thread, existing) {
            (Some(thread), existing) => {
                let key = thread_key(app, &tx, caller, thread).await?;
                (
                    existing.map_or_else(Uuid::now_v7, |d| d.id),
                    key,
                    None,
                    None,
                )
            }
            (None, Some(draft)) => {
                let key = own_key(app, &tx, &draft).await?;
                (draft.id, key, draft.kek_id, draft.wrapped_key)
            }
            (None, None) => {
                let id = Uuid::now_v7();
                let key = app.keyring.new_thread_key(&tx, id).await?;
                (id, key.key, Some(key.kek_id), Some(key.wrapped))
            }
        };
        let draft = Draft {
            id,
            author_sub: caller.sub.clone(),
            thread_id: thread,
            category: checked.category.clone(),
            subject: checked.subject.clone(),
            professional: checked.professional.clone(),
            body: key.seal_draft(id, &checked.body)?,
            kek_id,
            wrapped_key,
            updated_at: now,
        };
        if drafts::save(&tx, &draft).await? {
            tx.commit().await?;
            return Ok(now);
        }
    }
    Err(ThreadError::Invalid {
        field: "body",
        reason: "draft_conflict",
    })
}

/// Removes the caller's draft of a reply in `thread` or of a new thread.
pub async fn discard(
    app: &AppState,
    caller: &Caller,
    thread: Option<Uuid>,
) -> Result<(), ThreadError> {
    let db = app.db.get().await?;
    if let Some(id) = thread {
        thread_key(app, &db, caller, id).await?;
    }
    drafts::delete(&db, &caller.sub, thread).await?;
    Ok(())
}

/// The data key of a thread the caller may see.
async fn thread_key(
    app: &AppState,
    db: &impl GenericClient,
    caller: &Caller,
    id: Uuid,
) -> Result<DataKey, ThreadError> {
    Ok(access::visible(app, db, caller, id).await?.key)
}

/// A new thread's draft's own data key.
async fn own_key(
    app: &AppState,
    db: &impl GenericClient,
    draft: &Draft,
) -> Result<DataKey, ThreadError> {
    match (draft.kek_id, &draft.wrapped_key) {
        (Some(kek), Some(wrapped)) => {
            Ok(app.keyring.thread_key(db, draft.id, kek, wrapped).await?)
        }
        _ => Err(ThreadError::NotFound),
    }
}

//! Opening a thread: a professional (or staff acting for one) writes to the agency in a
//! category, which routes the thread to that category's team; or an agent writes to a
//! professional in a category of one of their teams. The thread, its data key and its first
//! message are written in one transaction.

use chrono::Utc;
use uuid::Uuid;

use super::attachments::{self, BodyChunks, Sealed, UploadError};
use super::{Posted, ThreadError, access, text_field};
use crate::crypto::DataKey;
use crate::domain::{Side, ThreadState};
use crate::events::ThreadEvent;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::messages::{self, Message};
use crate::store::people;
use crate::store::threads::{self, Thread};

/// A new thread as asked for.
#[derive(Debug, Clone)]
pub struct NewThread {
    /// Category code.
    pub category: String,
    /// Subject line.
    pub subject: String,
    /// First message.
    pub body: String,
    /// The professional (username): the one a staff member writes for, or the one an agent
    /// writes to. Absent when a professional writes for themselves.
    pub professional: Option<String>,
    /// A closed thread this one follows up.
    pub refers_to: Option<Uuid>,
    /// The team, for a follow-up: the closed thread's (which a transfer may have changed),
    /// not the category's.
    pub team: Option<String>,
}

/// Who the thread is for and who writes its first message.
struct Parties {
    professional_sub: String,
    professional_name: String,
    side: Side,
    on_behalf_of: Option<String>,
}

async fn parties(
    db: &impl crate::store::GenericClient,
    caller: &Caller,
    new: &NewThread,
    team: &str,
) -> Result<Parties, ThreadError> {
    let teams = access::agent_teams(db, caller).await?;
    match new.professional.as_deref() {
        Some(username) if !teams.is_empty() => {
            // An agent writes to a professional, from a queue of their own.
            if !teams.iter().any(|m| m.team == team) {
                return Err(ThreadError::Invalid {
                    field: "category",
                    reason: "not_your_team",
                });
            }
            let person = people::by_username(db, username)
                .await?
                .ok_or(ThreadError::Invalid {
                    field: "professional",
                    reason: "unknown_professional",
                })?;
            Ok(Parties {
                professional_sub: person.sub,
                professional_name: person.name,
                side: Side::Agency,
                on_behalf_of: None,
            })
        }
        Some(username) => {
            // Staff writing for a professional they act for.
            let delegation = caller
                .acts_for
                .iter()
                .find(|a| a.username.eq_ignore_ascii_case(username))
                .ok_or(ThreadError::Invalid {
                    field: "professional",
                    reason: "not_acting_for",
                })?;
            Ok(Parties {
                professional_sub: delegation.sub.clone(),
                professional_name: delegation.name.clone(),
                side: Side::Professional,
                on_behalf_of: Some(delegation.name.clone()),
            })
        }
        None if !caller.acts_for.is_empty() => Err(ThreadError::Invalid {
            field: "professional",
            reason: "choose_professional",
        }),
        None => Ok(Parties {
            professional_sub: caller.sub.clone(),
            professional_name: caller.person.name.clone(),
            side: Side::Professional,
            on_behalf_of: None,
        }),
    }
}

/// Opens a thread with its first message, within the caller's sending quota.
#[tracing::instrument(skip_all)]
pub async fn open(app: &AppState, caller: &Caller, new: NewThread) -> Result<Posted, ThreadError> {
    check(app, &new)?;
    super::take_quota(app, caller, super::Quota::Send).await?;
    open_counted(app, caller, new, None, SentDraft::New).await
}

/// The fields of a new thread, checked before anything is written or counted.
pub fn check(app: &AppState, new: &NewThread) -> Result<(), ThreadError> {
    let limits = &app.config.threads;
    if app.config.category(new.category.trim()).is_none() {
        return Err(ThreadError::Invalid {
            field: "category",
            reason: "unknown_category",
        });
    }
    text_field("subject", &new.subject, limits.subject_max_chars, false)?;
    text_field("body", &new.body, limits.body_max_chars, true)?;
    Ok(())
}

/// [`check`], and whether the caller may write to that professional in that category (their
/// delegation, their team): asked before a composed thread's files are read, so nothing is
/// sealed or counted for a thread that could not be opened.
pub async fn may_open(app: &AppState, caller: &Caller, new: &NewThread) -> Result<(), ThreadError> {
    check(app, new)?;
    let team = match &new.team {
        Some(team) => team.clone(),
        None => app
            .config
            .category(new.category.trim())
            .map(|c| c.team.clone())
            .unwrap_or_default(),
    };
    let db = app.db.get().await?;
    parties(&db, caller, new, &team).await.map(|_| ())
}

/// A thread being composed with files: its id and data key exist before it is written, so
/// its files are sealed as they arrive; [`open_pending`] then writes the thread, its first
/// message and the files in one transaction — or, failing, removes the files' blobs.
#[derive(Debug)]
pub struct Pending {
    id: Uuid,
    key: DataKey,
    files: Vec<Sealed>,
}

impl Pending {
    /// A new thread id and data key.
    pub fn new() -> Result<Self, ThreadError> {
        Ok(Self {
            id: Uuid::now_v7(),
            key: DataKey::generate()?,
            files: Vec::new(),
        })
    }

    /// How many files it holds.
    pub fn files(&self) -> usize {
        self.files.len()
    }

    /// Seals one more file (counted in the caller's upload quota).
    pub async fn attach(
        &mut self,
        app: &AppState,
        caller: &Caller,
        name: &str,
        body: impl BodyChunks,
    ) -> Result<(), UploadError> {
        super::take_quota(app, caller, super::Quota::Upload).await?;
        let sealed = attachments::seal(app, &self.key, self.id, caller, name, body).await?;
        self.files.push(sealed);
        Ok(())
    }

    /// Gives up: the files' blobs go.
    pub async fn discard(self, app: &AppState) {
        attachments::discard(app, self.files).await;
    }
}

/// [`open`] with the files of `pending` sent with the first message.
#[tracing::instrument(skip_all)]
pub async fn open_pending(
    app: &AppState,
    caller: &Caller,
    new: NewThread,
    pending: Pending,
) -> Result<Posted, ThreadError> {
    let checked = match check(app, &new) {
        Ok(()) => super::take_quota(app, caller, super::Quota::Send).await,
        Err(e) => Err(e),
    };
    let opened = match checked {
        Ok(()) => open_counted(app, caller, new, Some(&pending), SentDraft::New).await,
        Err(e) => Err(e),
    };
    if opened.is_err() {
        pending.discard(app).await;
    }
    opened
}

/// The caller's draft a message sends (removed in the message's transaction).
#[derive(Debug, Clone, Copy)]
pub(super) enum SentDraft {
    /// Of a new thread.
    New,
    /// Of a reply in this thread (which became a follow-up thread).
    Reply(Uuid),
}

/// Opens a thread whose first message the caller's quota already counted (a reply that
/// became a follow-up thread).
pub(super) async fn open_counted(
    app: &AppState,
    caller: &Caller,
    new: NewThread,
    pending: Option<&Pending>,
    sent: SentDraft,
) -> Result<Posted, ThreadError> {
    let limits = &app.config.threads;
    let category = app
        .config
        .category(new.category.trim())
        .ok_or(ThreadError::Invalid {
            field: "category",
            reason: "unknown_category",
        })?;
    let subject = text_field("subject", &new.subject, limits.subject_max_chars, false)?;
    let body = text_field("body", &new.body, limits.body_max_chars, true)?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let team = new.team.clone().unwrap_or_else(|| category.team.clone());
    let parties = parties(&tx, caller, &new, &team).await?;
    if let Some(previous) = new.refers_to {
        let theirs = threads::get(&tx, previous)
            .await?
            .is_some_and(|t| t.professional_sub == parties.professional_sub);
        if !theirs {
            return Err(ThreadError::NotFound);
        }
    }
    let now = Utc::now();
    let id = pending.map_or_else(Uuid::now_v7, |p| p.id);
    let key = match pending {
        Some(p) => app.keyring.wrap_thread_key(&tx, id, p.key.clone()).await?,
        None => app.keyring.new_thread_key(&tx, id).await?,
    };
    let thread = Thread {
        id,
        professional_sub: parties.professional_sub,
        professional_name: parties.professional_name,
        team,
        category: category.code.clone(),
        subject,
        state: ThreadState::after_message_from(parties.side),
        assignee: None,
        opened_by: parties.side,
        refers_to: new.refers_to,
        kek_id: key.kek_id,
        wrapped_key: key.wrapped,
        created_at: now,
        last_message_at: now,
        closed_at: None,
    };
    threads::insert(&tx, &thread)
        .await
        .map_err(|e| match e.constraint() {
            Some("threads_team_fkey") => ThreadError::Invalid {
                field: "category",
                reason: "category_not_routed",
            },
            _ => e.into(),
        })?;
    let message_id = Uuid::now_v7();
    let message = Message {
        id: message_id,
        thread_id: id,
        note: false,
        author_sub: caller.sub.clone(),
        author_name: caller.person.name.clone(),
        author_side: parties.side,
        on_behalf_of: parties.on_behalf_of,
        body: key.key.seal_body(message_id, &body)?,
        sent_at: now,
    };
    let event = ThreadEvent {
        thread: id,
        professional: thread.professional_sub.clone(),
        team: thread.team.clone(),
        kind: "message".into(),
    };
    // The thread was stored in its first state: the message leaves it as it is.
    messages::post(&tx, &message, None, app.events.channel(), &event.payload()?).await?;
    // Sent: the caller's draft has done its work.
    let draft_of = match sent {
        SentDraft::New => None,
        SentDraft::Reply(thread) => Some(thread),
    };
    crate::store::drafts::delete(&tx, &caller.sub, draft_of).await?;
    for Sealed(file) in pending.map(|p| p.files.as_slice()).unwrap_or_default() {
        let mut file = file.clone();
        file.message_id = Some(message_id);
        crate::store::attachments::insert(&tx, &file).await?;
    }
    super::notify_other_side(&tx, &thread, parties.side).await?;
    tx.commit().await?;
    tracing::info!(thread = %id, category = %thread.category, team = %thread.team, side = thread.opened_by.as_str(), "thread opened");
    Ok(Posted {
        thread_id: id,
        message_id,
    })
}

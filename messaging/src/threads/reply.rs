//! Replying in a thread: a message (either side) or an internal note (agency only, never
//! shown to the professional side). A message passes the turn to the other side; a reply to a
//! closed thread reopens it within `threads.reopen_within_days` of its closing, and after
//! that opens a new thread that refers to it.

use chrono::{Duration, Utc};
use uuid::Uuid;

use super::open::SentDraft;
use super::open::{self, NewThread};
use super::{Posted, ThreadError, access, text_field};
use crate::domain::{Side, ThreadState};
use crate::events::ThreadEvent;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::messages::{self, Message};
use crate::store::people;
use crate::store::threads;

/// Posts `body` in `thread_id` as `caller`; `note` for an internal note. The answer names
/// the thread that holds it: a new one when the closed thread was too old to reopen.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn reply(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    body: &str,
    note: bool,
    attachments: &[Uuid],
) -> Result<Posted, ThreadError> {
    let body = text_field("body", body, app.config.threads.body_max_chars, true)?;
    super::take_quota(app, caller, super::Quota::Send).await?;
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let thread = threads::get_for_update(&tx, thread_id)
        .await?
        .ok_or(ThreadError::NotFound)?;
    let teams = access::agent_teams(&tx, caller).await?;
    let side = access::side_of(&thread, caller, &teams).ok_or(ThreadError::NotFound)?;
    if note && side != Side::Agency {
        return Err(ThreadError::NotFound);
    }
    let now = Utc::now();
    if thread.state == ThreadState::Closed && !note {
        let window = Duration::days(i64::from(app.config.threads.reopen_within_days));
        let too_old = thread.closed_at.is_none_or(|closed| now - closed > window);
        if too_old {
            // Files were sealed under the closed thread's key: they cannot go to a new one.
            if !attachments.is_empty() {
                return Err(ThreadError::Invalid {
                    field: "attachments",
                    reason: "closed_thread_files",
                });
            }
            drop(tx);
            drop(db);
            let professional = match side {
                Side::Agency => {
                    let db = app.db.get().await?;
                    let person = people::by_sub(&db, &thread.professional_sub).await?;
                    Some(person.ok_or(ThreadError::NotFound)?.username)
                }
                Side::Professional => caller
                    .acting_for(&thread.professional_sub)
                    .map(|a| a.username.clone()),
            };
            let follow_up = NewThread {
                category: thread.category.clone(),
                subject: thread.subject.clone(),
                body,
                professional,
                refers_to: Some(thread.id),
                team: Some(thread.team.clone()),
            };
            let sent = SentDraft::Reply(thread.id);
            return open::open_counted(app, caller, follow_up, None, sent).await;
        }
    }
    let key = app
        .keyring
        .thread_key(&tx, thread.id, thread.kek_id, &thread.wrapped_key)
        .await?;
    let message_id = Uuid::now_v7();
    let on_behalf_of = match side {
        Side::Professional => caller
            .acting_for(&thread.professional_sub)
            .map(|a| a.name.clone()),
        Side::Agency => None,
    };
    let message = Message {
        id: message_id,
        thread_id: thread.id,
        note,
        author_sub: caller.sub.clone(),
        author_name: caller.person.name.clone(),
        author_side: side,
        on_behalf_of,
        body: key.seal_body(message_id, &body)?,
        sent_at: now,
    };
    let event = ThreadEvent {
        thread: thread.id,
        professional: thread.professional_sub.clone(),
        team: thread.team.clone(),
        kind: if note { "note" } else { "message" }.into(),
    };
    let state = (!note).then(|| ThreadState::after_message_from(side));
    messages::post(
        &tx,
        &message,
        state,
        app.events.channel(),
        &event.payload()?,
    )
    .await?;
    // The caller's own unsent attachments of this thread go with it; any other id refuses
    // the whole message (the transaction is dropped: nothing is written).
    if !attachments.is_empty() {
        let linked =
            crate::store::attachments::link(&tx, thread.id, message_id, &caller.sub, attachments)
                .await?;
        if linked != attachments.len() as u64 {
            return Err(ThreadError::Invalid {
                field: "attachments",
                reason: "unknown_attachment",
            });
        }
    }
    if !note {
        super::notify_other_side(&tx, &thread, side).await?;
    }
    // Sent: the caller's draft of this reply has done its work.
    crate::store::drafts::delete(&tx, &caller.sub, Some(thread.id)).await?;
    tx.commit().await?;
    Ok(Posted {
        thread_id: thread.id,
        message_id,
    })
}

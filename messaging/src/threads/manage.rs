//! The agents' moves on a thread of their teams: take it, give it back, hand it to another
//! agent (supervisors), transfer it to another team (with a note), and close it. The professional side can do none of these: to them
//! such a request is about a thread that does not exist.

use uuid::Uuid;

use chrono::Utc;

use super::{ThreadError, access, text_field};
use crate::domain::Side;
use crate::events::ThreadEvent;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::messages::{self, Message};
use crate::store::{agents, teams, threads};

/// A move.
#[derive(Debug, Clone)]
pub enum Move {
    /// Assign to myself.
    Take,
    /// Back to the unassigned queue.
    Release,
    /// Assign to another agent of the team (supervisors).
    AssignTo(String),
    /// Close.
    Close,
    /// Move to another team's queue, unassigned, with an internal note saying why (the
    /// professional side never sees it).
    Transfer {
        /// The team.
        team: String,
        /// Why.
        note: String,
    },
}

/// Applies `action` to `thread_id` for `caller`.
#[tracing::instrument(skip_all, fields(thread = %thread_id))]
pub async fn apply(
    app: &AppState,
    caller: &Caller,
    thread_id: Uuid,
    action: Move,
) -> Result<(), ThreadError> {
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let thread = threads::get_for_update(&tx, thread_id)
        .await?
        .ok_or(ThreadError::NotFound)?;
    let teams = access::agent_teams(&tx, caller).await?;
    if access::side_of(&thread, caller, &teams) != Some(Side::Agency) {
        return Err(ThreadError::NotFound);
    }
    match action {
        Move::Take => {
            // A thread someone else works is theirs until they give it back or a supervisor
            // assigns it.
            let me = caller.person.username.to_uppercase();
            if thread.assignee.as_deref().is_some_and(|a| a != me) {
                return Err(ThreadError::Invalid {
                    field: "assignee",
                    reason: "already_assigned",
                });
            }
            threads::assign(&tx, thread.id, Some(&me)).await?
        }
        Move::Release => {
            // Only the agent working it, or a supervisor, gives a thread back.
            let me = caller.person.username.to_uppercase();
            if thread.assignee.as_deref() != Some(me.as_str())
                && !access::supervises(&thread, &teams)
            {
                return Err(ThreadError::Invalid {
                    field: "assignee",
                    reason: "not_your_thread",
                });
            }
            threads::assign(&tx, thread.id, None).await?
        }
        Move::AssignTo(username) => {
            if !access::supervises(&thread, &teams) {
                return Err(ThreadError::Invalid {
                    field: "assignee",
                    reason: "supervisors_only",
                });
            }
            let username = username.trim().to_uppercase();
            let member = agents::memberships(&tx, &username)
                .await?
                .into_iter()
                .any(|m| m.team == thread.team);
            if !member {
                return Err(ThreadError::Invalid {
                    field: "assignee",
                    reason: "not_in_team",
                });
            }
            threads::assign(&tx, thread.id, Some(&username)).await?;
        }
        Move::Close => threads::close(&tx, thread.id).await?,
        Move::Transfer { team, note } => {
            let note = text_field("note", &note, app.config.threads.body_max_chars, true)?;
            let team = team.trim();
            if team == thread.team || !teams::exists(&tx, team).await? {
                return Err(ThreadError::Invalid {
                    field: "team",
                    reason: "unknown_team",
                });
            }
            let key = app
                .keyring
                .thread_key(&tx, thread.id, thread.kek_id, &thread.wrapped_key)
                .await?;
            let id = Uuid::now_v7();
            let message = Message {
                id,
                thread_id: thread.id,
                note: true,
                author_sub: caller.sub.clone(),
                author_name: caller.person.name.clone(),
                author_side: Side::Agency,
                on_behalf_of: None,
                body: key.seal_body(id, &note)?,
                sent_at: Utc::now(),
            };
            let event = ThreadEvent {
                thread: thread.id,
                professional: thread.professional_sub.clone(),
                team: thread.team.clone(),
                kind: "note".into(),
            };
            messages::post(&tx, &message, None, app.events.channel(), &event.payload()?).await?;
            threads::transfer(&tx, thread.id, team).await?;
        }
    }
    // The queues of the thread's team before and after (a transfer changes it) hear of it.
    let after = threads::get(&tx, thread.id)
        .await?
        .map_or_else(|| thread.team.clone(), |t| t.team);
    for team in [thread.team.clone(), after]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
    {
        let event = ThreadEvent {
            thread: thread.id,
            professional: thread.professional_sub.clone(),
            team,
            kind: "state".into(),
        };
        app.events.publish(&tx, &event).await?;
    }
    tx.commit().await?;
    Ok(())
}

//! The agents' moves on a thread of their teams: take it, give it back, hand it to another
//! agent (supervisors), and close it. The professional side can do none of these: to them
//! such a request is about a thread that does not exist.

use uuid::Uuid;

use super::{ThreadError, access};
use crate::domain::Side;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::{agents, threads};

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
            threads::assign(&tx, thread.id, Some(&caller.person.username.to_uppercase())).await?
        }
        Move::Release => threads::assign(&tx, thread.id, None).await?,
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
    }
    tx.commit().await?;
    Ok(())
}

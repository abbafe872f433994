//! Inboxes and queues: the professional side sees the threads of the professionals it acts
//! as (their own, and those a delegation names); an agent sees their teams' queues —
//! unassigned, theirs, or all. Newest activity first, filtered on metadata, keyset-paginated.

use super::{ThreadError, access};
use crate::domain::{Cursor, Side};
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::threads::{self, Filter, Listed, Scope};

/// Which queue an agent looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Nobody works them yet.
    Unassigned,
    /// Assigned to the caller.
    Mine,
    /// Every thread of the caller's teams.
    All,
}

/// A page of a list.
#[derive(Debug, Clone)]
pub struct ThreadList {
    /// The side listed.
    pub side: Side,
    /// Threads with their unread counts.
    pub threads: Vec<Listed>,
    /// The cursor of the next page.
    pub next: Option<Cursor>,
}

/// The caller's inbox (`queue: None`) or one of their queues (agents).
#[tracing::instrument(skip_all)]
pub async fn list(
    app: &AppState,
    caller: &Caller,
    queue: Option<Queue>,
    mut filter: Filter,
    cursor: Option<&Cursor>,
) -> Result<ThreadList, ThreadError> {
    let db = app.db.get().await?;
    let (side, scope) = match queue {
        None => (
            Side::Professional,
            Scope::Professionals(caller.professional_subs()),
        ),
        Some(queue) => {
            let teams = access::agent_teams(&db, caller).await?;
            if teams.is_empty() {
                return Err(ThreadError::NotFound);
            }
            filter.assignee = match queue {
                Queue::Unassigned => Some(None),
                Queue::Mine => Some(Some(caller.person.username.to_uppercase())),
                Queue::All => None,
            };
            (
                Side::Agency,
                Scope::Teams(teams.into_iter().map(|m| m.team).collect()),
            )
        }
    };
    let limit = i64::from(app.config.threads.page_size);
    let mut threads = threads::list(&db, &scope, &filter, &caller.sub, cursor, limit + 1).await?;
    let next = if threads.len() as i64 > limit {
        threads.truncate(limit as usize);
        threads.last().map(|l| Cursor {
            at: l.thread.last_message_at,
            id: l.thread.id,
        })
    } else {
        None
    };
    Ok(ThreadList {
        side,
        threads,
        next,
    })
}

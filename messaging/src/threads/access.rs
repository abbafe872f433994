//! Who may see and act on a thread: the professional it belongs to and the staff acting for
//! them (the professional side), and the agents of its team (the agency side) — an agent
//! needs both the `messaging-agent` role in their token and a row in `agents`.

use uuid::Uuid;

use super::ThreadError;
use crate::crypto::DataKey;
use crate::domain::Side;
use crate::identity::Caller;
use crate::state::AppState;
use crate::store::agents::{self, Membership};
use crate::store::threads::{self, Thread};
use crate::store::{GenericClient, StoreError};

/// A thread the caller may see, opened: the side they see it from, their teams and its data
/// key.
#[derive(Debug)]
pub struct Visible {
    /// The thread.
    pub thread: Thread,
    /// The side the caller sees it from.
    pub side: Side,
    /// The caller's teams (empty when not an agent).
    pub teams: Vec<Membership>,
    /// The thread's data key.
    pub key: DataKey,
}

/// `id` as `caller` may see it; anything not theirs is [`ThreadError::NotFound`], exactly as
/// a thread that does not exist.
pub async fn visible(
    app: &AppState,
    db: &impl GenericClient,
    caller: &Caller,
    id: Uuid,
) -> Result<Visible, ThreadError> {
    let thread = threads::get(db, id).await?.ok_or(ThreadError::NotFound)?;
    let teams = agent_teams(db, caller).await?;
    let side = side_of(&thread, caller, &teams).ok_or(ThreadError::NotFound)?;
    let key = app
        .keyring
        .thread_key(db, thread.id, thread.kek_id, &thread.wrapped_key)
        .await?;
    Ok(Visible {
        thread,
        side,
        teams,
        key,
    })
}

/// The teams a caller works as an agent; empty when they are not one (no role, or no row).
pub async fn agent_teams(
    db: &impl GenericClient,
    caller: &Caller,
) -> Result<Vec<Membership>, StoreError> {
    if !caller.has_agent_role() {
        return Ok(Vec::new());
    }
    agents::memberships(db, &caller.person.username.to_uppercase()).await
}

/// The side from which `caller` sees `thread`, or `None` when it is not theirs.
pub fn side_of(thread: &Thread, caller: &Caller, teams: &[Membership]) -> Option<Side> {
    if caller
        .professional_subs()
        .contains(&thread.professional_sub)
    {
        Some(Side::Professional)
    } else if teams.iter().any(|m| m.team == thread.team) {
        Some(Side::Agency)
    } else {
        None
    }
}

/// Whether the caller supervises the thread's team.
pub fn supervises(thread: &Thread, teams: &[Membership]) -> bool {
    teams.iter().any(|m| m.team == thread.team && m.supervisor)
}

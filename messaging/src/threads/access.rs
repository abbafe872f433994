//! Who may see and act on a thread: the professional it belongs to and the staff acting for
//! them (the professional side), and the agents of its team (the agency side) — an agent
//! needs both the `messaging-agent` role in their token and a row in `agents`.

use crate::domain::Side;
use crate::identity::Caller;
use crate::store::agents::{self, Membership};
use crate::store::threads::Thread;
use crate::store::{GenericClient, StoreError};

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

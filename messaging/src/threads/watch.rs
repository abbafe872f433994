//! Watching one's conversations: the thread events of every node (`crate::events`) that the
//! caller may hear of — their professionals' threads (notes excepted) and their teams'
//! queues — until their token or session expires. Server-sent events carry this stream on
//! the API (`api::events`) and the pages (`pages::events`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{ThreadError, access};
use crate::events::ThreadEvent;
use crate::identity::Caller;
use crate::state::AppState;

/// What a watcher is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// Something changed in this thread (`message`, `note` or `state`).
    Thread {
        /// The thread.
        thread: Uuid,
        /// What changed.
        kind: String,
    },
    /// The watcher fell behind: reload everything.
    Reload,
}

struct Audience {
    professionals: Vec<String>,
    teams: Vec<String>,
}

impl Audience {
    fn hears(&self, event: &ThreadEvent) -> bool {
        (self.professionals.contains(&event.professional) && event.kind != "note")
            || self.teams.contains(&event.team)
    }
}

/// The events `caller` may hear of, until `caller.token_expires`.
pub async fn watch(
    app: &AppState,
    caller: &Caller,
) -> Result<impl Stream<Item = Seen> + use<>, ThreadError> {
    let teams = {
        let db = app.db.get().await?;
        access::agent_teams(&db, caller).await?
    };
    let audience = Arc::new(Audience {
        professionals: caller.professional_subs(),
        teams: teams.into_iter().map(|m| m.team).collect(),
    });
    let left = (caller.token_expires - chrono::Utc::now().timestamp()).max(0) as u64;
    let until = tokio::time::Instant::now() + Duration::from_secs(left);
    let receiver = app.events.subscribe();
    Ok(futures_util::stream::unfold(
        receiver,
        move |mut receiver| {
            let audience = Arc::clone(&audience);
            async move {
                loop {
                    let seen = match tokio::time::timeout_at(until, receiver.recv()).await {
                        Err(_) | Ok(Err(RecvError::Closed)) => return None,
                        Ok(Err(RecvError::Lagged(_))) => Seen::Reload,
                        Ok(Ok(event)) if audience.hears(&event) => Seen::Thread {
                            thread: event.thread,
                            kind: event.kind,
                        },
                        Ok(Ok(_)) => continue,
                    };
                    return Some((seen, receiver));
                }
            }
        },
    ))
}

/// The server-sent event of a [`Seen`]: `event: thread` with `{"thread", "kind"}`, or
/// `event: reload`.
pub fn sse_event(seen: Seen) -> axum::response::sse::Event {
    match seen {
        Seen::Thread { thread, kind } => axum::response::sse::Event::default()
            .event("thread")
            .data(serde_json::json!({ "thread": thread, "kind": kind }).to_string()),
        Seen::Reload => axum::response::sse::Event::default()
            .event("reload")
            .data("{}"),
    }
}

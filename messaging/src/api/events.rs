//! `GET /api/v1/events`: server-sent events for the caller's threads — an inbox or queue
//! reloads, an open thread fetches what is new. Each event is `event: thread` with
//! `{"thread", "kind"}` (`message`, `note` for agents, `state`); `event: reload` when this
//! stream fell behind. The stream ends when the caller's token expires (the next one carries
//! the delegations as they are then). A plain reload of any page works just as well.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::events::ThreadEvent;
use crate::state::AppState;
use crate::threads::access;

/// Whom a stream may tell about an event.
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

/// `GET /api/v1/events`.
#[utoipa::path(get, path = "/api/v1/events", tag = "threads", security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: `thread` events ({thread, kind}) and `reload`"),
        (status = 401, description = "invalid_token", body = ErrorBody),
    ))]
pub async fn events(
    State(app): State<AppState>,
    who: ApiCaller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let lang = who.lang;
    let db = app
        .db
        .get()
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    let teams = access::agent_teams(&db, &who.caller)
        .await
        .map_err(|e| ApiError::from_thread(e.into(), lang))?;
    drop(db);
    let audience = Arc::new(Audience {
        professionals: who.caller.professional_subs(),
        teams: teams.into_iter().map(|m| m.team).collect(),
    });
    let left = (who.caller.token_expires - chrono::Utc::now().timestamp()).max(0) as u64;
    let until = tokio::time::Instant::now() + Duration::from_secs(left);
    let receiver = app.events.subscribe();
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
        let audience = Arc::clone(&audience);
        async move {
            loop {
                let next = tokio::time::timeout_at(until, receiver.recv()).await;
                let event = match next {
                    Err(_) | Ok(Err(RecvError::Closed)) => return None,
                    Ok(Err(RecvError::Lagged(_))) => Event::default().event("reload").data("{}"),
                    Ok(Ok(event)) if audience.hears(&event) => {
                        Event::default().event("thread").data(
                            serde_json::json!({ "thread": event.thread, "kind": event.kind })
                                .to_string(),
                        )
                    }
                    Ok(Ok(_)) => continue,
                };
                return Some((Ok(event), receiver));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

//! `GET /api/v1/events`: server-sent events for the caller's threads (`threads::watch`) — an
//! inbox or queue reloads, an open thread fetches what is new. Each event is `event: thread`
//! with `{"thread", "kind"}` (`message`, `note` for agents, `state`); `event: reload` when
//! this stream fell behind. The stream ends when the caller's token expires (the next one
//! carries the delegations as they are then). A plain reload of any page works just as well.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt as _};

use super::bearer::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::threads::watch;

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
    let stream = watch::watch(&app, &who.caller)
        .await
        .map_err(|e| ApiError::from_thread(e, who.lang))?;
    let events = stream.map(|seen| Ok(watch::sse_event(seen)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

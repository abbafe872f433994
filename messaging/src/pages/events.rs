//! `GET /events`: the pages' server-sent events (`threads::watch`), for the session's person
//! until the session ends. `assets/live.js` listens and reloads the page.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;

use super::caller::PageCaller;
use crate::state::AppState;
use crate::threads::watch;

/// `GET /events`.
pub async fn events(State(app): State<AppState>, who: PageCaller) -> Response {
    match watch::watch(&app, &who.caller).await {
        Ok(stream) => {
            let events = stream.map(|seen| Ok::<Event, Infallible>(watch::sse_event(seen)));
            Sse::new(events)
                .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %crate::error::Chain(&e), "page events unavailable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

//! Operations endpoints — liveness, readiness (Postgres and Redis reachable), metrics — on
//! their own listener (`server.metrics_bind`, loopback by default), never on the public one:
//! counters that move per request are an oracle for whoever can read them (SECURITY.md).

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::state::AppState;

/// The longest a readiness check waits for each store (both run at once): `/readyz` answers
/// within a second even when a store hangs, and Redis's own bounds (`redis.connect_timeout_ms`
/// + `redis.command_timeout_ms`, 750 ms by default) settle the ping before this cuts it.
const CHECK_TIMEOUT: Duration = Duration::from_millis(900);

/// `/healthz`, `/readyz`, `/metrics`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|| async { crate::metrics::handle().render() }),
        )
        .with_state(state)
}

async fn ready(State(app): State<AppState>) -> (StatusCode, &'static str) {
    let postgres = async {
        match app.db.get().await {
            Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
            Err(_) => false,
        }
    };
    let (postgres, redis) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, postgres),
        tokio::time::timeout(CHECK_TIMEOUT, app.kv.ping()),
    );
    match (postgres.unwrap_or(false), redis.unwrap_or(false)) {
        (true, true) => (StatusCode::OK, "ready"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "postgres unreachable"),
        (_, false) => (StatusCode::SERVICE_UNAVAILABLE, "redis unreachable"),
    }
}

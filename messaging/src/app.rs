//! The service as a whole: its router (probes, pages sign-in, pages, the JSON API, the
//! security headers, per-IP shaping) and serving it over HTTP or HTTPS until a signal.

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use std::future::Future;
use tokio::net::TcpListener;

/// The whole service: probes, the pages' sign-in and the JSON API.
pub fn service(state: crate::state::AppState) -> Router {
    let limits = state.config.rate_limit;
    let shaped = service_kit::client_ip::per_ip_limit(
        crate::auth::router()
            .merge(crate::pages::router(&state))
            .merge(crate::api::router(&state)),
        limits.per_ip_per_second,
        limits.per_ip_burst,
        state.config.server.trusted_proxies.clone(),
    );
    let mut router = probes().merge(shaped.with_state(state));
    for layer in service_kit::headers::layers() {
        router = router.layer(layer);
    }
    router
}

/// The liveness and readiness probes.
pub fn probes() -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness probe: the process is up and serving.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness probe: the service can take traffic (no dependencies yet).
async fn readyz() -> &'static str {
    "ready"
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight end.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the messaging server failed")
}

/// Serves `router` over HTTPS (rustls) until `shutdown` completes.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    router: Router,
    tls: rustls::ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    let config = axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(tls));
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, config)?
        .handle(handle)
        .serve(router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
        .context("the messaging server failed")
}

/// Completes on Ctrl-C, or on SIGTERM on Unix (what container runtimes send to stop).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;

    #[test]
    fn the_service_links_the_shared_kit_and_never_the_idp() {
        // Two services, two crates that never link each other's internals: what both need is
        // in `service-kit`. (The idp would bring Postgres, Redis, Argon2 and lettre along.)
        let manifest = include_str!("../Cargo.toml");
        let dependencies = manifest
            .split("[dependencies]")
            .nth(1)
            .unwrap_or_default()
            .split("\n[")
            .next()
            .unwrap_or_default();
        let names: Vec<&str> = dependencies
            .lines()
            .filter_map(|l| l.split(['=', '.']).next())
            .map(str::trim)
            .filter(|n| !n.is_empty() && !n.starts_with('#'))
            .collect();
        assert!(names.contains(&"service-kit"), "{names:?}");
        assert!(
            !names.contains(&"idp"),
            "messaging links the idp: {names:?}"
        );
    }

    /// Sends a bare HTTP/1.1 GET and returns the whole response.
    async fn get(addr: std::net::SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn probes_answer_over_http() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, probes(), async {
            let _ = stopped.await;
        }));

        let health = get(addr, "/healthz").await;
        assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
        assert!(health.ends_with("\r\n\r\nok"), "{health}");

        let ready = get(addr, "/readyz").await;
        assert!(ready.starts_with("HTTP/1.1 200 OK\r\n"), "{ready}");
        assert!(ready.ends_with("\r\n\r\nready"), "{ready}");

        let missing = get(addr, "/nope").await;
        assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}

//! The application: the router, and the listeners (HTTPS with rustls, or plain HTTP behind a
//! trusted TLS proxy, and the operations listener). `Application::build` binds first so tests
//! know the port. The state every handler shares is in `state.rs`.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware;
use axum_server::tls_rustls::RustlsConfig;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::{Config, TlsMode};
use crate::state::AppState;
use crate::{login, oidc, ops, web};

/// The whole router with its layers. Timeouts, panics and oversized bodies are caught inside
/// the error renderers (JSON for the token-side endpoints, a translated page elsewhere), and
/// the security headers wrap everything, so no response leaves without them.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let api = guarded(oidc::api_router(&state), &state)
        .layer(middleware::from_fn(oidc::error::json_for_bare_errors));
    let pages = guarded(
        Router::new()
            .merge(login::router(&state))
            .merge(web::with_per_ip_limit(
                crate::credentials::router()
                    .merge(crate::account::router())
                    .merge(crate::questions::router())
                    .merge(crate::recovery::router())
                    .merge(crate::enrolment::router())
                    .merge(crate::access_requests::router())
                    .merge(crate::delegations::router())
                    .merge(crate::username_reminder::router())
                    .merge(crate::second_factor::router())
                    .merge(crate::helpdesk::router())
                    .merge(crate::security::router()),
                &state,
            ))
            .merge(oidc::page_router(&state))
            .fallback(|| async { StatusCode::NOT_FOUND }),
        &state,
    )
    .layer(middleware::from_fn(web::errors::render))
    .layer(middleware::from_fn(web::lang::remember));
    let outer = ServiceBuilder::new()
        .layer(SetSensitiveHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            header::SET_COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(request_id));
    let mut app = Router::new()
        .merge(api)
        .merge(web::assets::router())
        .merge(pages)
        .route_layer(middleware::from_fn(crate::metrics::track))
        .layer(DefaultBodyLimit::max(state.config.server.body_limit_bytes))
        .with_state(state)
        .layer(outer);
    for layer in web::headers::layers() {
        app = app.layer(layer);
    }
    app
}

/// The span of a request: method, path and request id. Never the query string, which may
/// carry a token (`id_token_hint`) or a code.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}

/// Panics become 500 and slow requests 408, both still inside the error renderer.
fn guarded(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.server.request_timeout_secs),
        ))
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    port: u16,
    listener: TcpListener,
    tls: Option<RustlsConfig>,
    router: Router,
    handle: axum_server::Handle<SocketAddr>,
    tls_reload: TlsReload,
    ops: Operations,
    mail: crate::mail::Worker,
}

/// Where the served certificate comes from, and how often it is looked at again.
#[derive(Debug, Clone)]
struct TlsReload {
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    every: Duration,
}

/// The operations listener (`server.metrics_bind`): plain HTTP, for probes and scrapers on a
/// private network, apart from the public listener.
#[derive(Debug)]
struct Operations {
    port: u16,
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Connects the stores, binds `server.bind` and prepares TLS.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.server.bind).map_err(|e| {
            anyhow::anyhow!("cannot bind `server.bind` {}: {e}", config.server.bind)
        })?;
        Self::build_on(config, listener).await
    }

    /// Like `build`, on a listener the caller bound (tests bind first to learn the port that
    /// goes into the issuer URL).
    pub async fn build_on(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let tls = match config.server.tls {
            TlsMode::Rustls => {
                let server =
                    crate::tls::server_config(&config.server.tls_cert, &config.server.tls_key)?;
                Some(RustlsConfig::from_config(Arc::new(server)))
            }
            TlsMode::Proxy => None,
        };
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let tls_reload = TlsReload {
            cert: config.server.tls_cert.clone(),
            key: config.server.tls_key.clone(),
            every: Duration::from_secs(config.server.tls_reload_secs),
        };
        let metrics_bind = config.server.metrics_bind;
        let ops_listener = TcpListener::bind(metrics_bind).map_err(|e| {
            anyhow::anyhow!("cannot bind `server.metrics_bind` {metrics_bind}: {e}")
        })?;
        ops_listener.set_nonblocking(true)?;
        let state = AppState::connect(config).await?;
        // A configuration the discovery document cannot be built from fails here, at boot.
        let discovery = oidc::discovery::document(&state.issuer, &state.config)?;
        let _ = state.discovery.set(discovery);
        let mail = crate::mail::Worker::new(
            state.db.clone(),
            &state.config.mail,
            state.config.recovery.assistance.clone(),
        )?;
        Ok(Self {
            port,
            listener,
            tls,
            ops: Operations {
                port: ops_listener.local_addr()?.port(),
                listener: ops_listener,
                router: ops::router(state.clone()),
            },
            router: router(state),
            handle: axum_server::Handle::new(),
            tls_reload,
            mail,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The operations listener's port (`/healthz`, `/readyz`, `/metrics`).
    pub fn ops_port(&self) -> u16 {
        self.ops.port
    }

    /// A handle that stops the server gracefully.
    pub fn handle(&self) -> axum_server::Handle<SocketAddr> {
        self.handle.clone()
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests (up to 10 s).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.handle.clone();
        // The outbox is delivered while the node serves (dropping `mail` also stops it).
        let mail = self.mail.spawn();
        let ops_handle = axum_server::Handle::<SocketAddr>::new();
        let ops = axum_server::from_tcp(self.ops.listener)?
            .handle(ops_handle.clone())
            .serve(self.ops.router.into_make_service());
        let ops = tokio::spawn(ops);
        // A renewed certificate is served without a restart (`server.tls_reload_secs`).
        let reload = self
            .tls
            .clone()
            .filter(|_| self.tls_reload.every > Duration::ZERO)
            .map(|acceptor| {
                let TlsReload { cert, key, every } = self.tls_reload.clone();
                tokio::spawn(crate::tls::keep_reloading(
                    cert,
                    key,
                    every,
                    move |config| {
                        acceptor.reload_from_config(Arc::new(config));
                    },
                ))
            });
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        });
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // TCP_NODELAY: small responses go out at once instead of waiting for Nagle's timer
        // (a new connection per request stalled ~40 ms without it).
        let no_delay = axum_server::accept::NoDelayAcceptor::new();
        match self.tls {
            Some(tls) => {
                axum_server::from_tcp_rustls(self.listener, tls)?
                    .map(|acceptor| acceptor.acceptor(no_delay))
                    .handle(self.handle)
                    .serve(service)
                    .await?
            }
            None => {
                axum_server::from_tcp(self.listener)?
                    .acceptor(no_delay)
                    .handle(self.handle)
                    .serve(service)
                    .await?
            }
        }
        if let Some(reload) = reload {
            reload.abort();
        }
        ops_handle.shutdown();
        if let Ok(Err(e)) = ops.await {
            tracing::warn!(error = %e, "operations listener stopped with an error");
        }
        mail.stop().await;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

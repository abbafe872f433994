//! Entry point of the secure-messaging service: logs, listen on `MESSAGING_BIND`
//! (default `127.0.0.1:8444`), stop gracefully on Ctrl-C or SIGTERM.

use anyhow::Context;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();

    let bind = std::env::var("MESSAGING_BIND").ok();
    let addr = messaging::bind_address(bind.as_deref())?;
    service_kit::tls::install_crypto_provider();
    let auth = match messaging::auth_config_from_env()? {
        Some(config) => Some(messaging::auth::Auth::discover(config).await?),
        None => None,
    };
    let router = messaging::router(auth);
    let tls = match (
        std::env::var("MESSAGING_TLS_CERT"),
        std::env::var("MESSAGING_TLS_KEY"),
    ) {
        (Ok(cert), Ok(key)) => Some(service_kit::tls::server_config(
            cert.as_ref(),
            key.as_ref(),
        )?),
        _ => None,
    };
    match tls {
        Some(tls) => {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, "messaging service listening (HTTPS)");
            messaging::serve_tls(listener, router, tls, messaging::shutdown_signal()).await?;
        }
        None => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, "messaging service listening");
            messaging::serve(listener, router, messaging::shutdown_signal()).await?;
        }
    }
    tracing::info!("messaging service stopped");
    Ok(())
}

/// Logs filtered by `RUST_LOG` (default `info`); JSON lines when `MESSAGING_LOG_FORMAT=json`
/// (production), human-readable otherwise.
fn init_tracing() {
    let format = if std::env::var("MESSAGING_LOG_FORMAT").is_ok_and(|f| f == "json") {
        service_kit::logs::Format::Json
    } else {
        service_kit::logs::Format::Pretty
    };
    service_kit::logs::init("info", format);
}

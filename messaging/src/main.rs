//! Entry point of the secure-messaging service: logs, listen on `MESSAGING_BIND`
//! (default `127.0.0.1:8444`), stop gracefully on Ctrl-C or SIGTERM.

use anyhow::Context;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();

    let bind = std::env::var("MESSAGING_BIND").ok();
    let addr = messaging::bind_address(bind.as_deref())?;
    idp::tls::install_crypto_provider();
    let auth = match messaging::auth_config_from_env()? {
        Some(config) => Some(messaging::auth::Auth::discover(config).await?),
        None => None,
    };
    let router = messaging::router(auth);
    let tls = match (
        std::env::var("MESSAGING_TLS_CERT"),
        std::env::var("MESSAGING_TLS_KEY"),
    ) {
        (Ok(cert), Ok(key)) => Some(idp::tls::server_config(cert.as_ref(), key.as_ref())?),
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

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); JSON lines when
/// `MESSAGING_LOG_FORMAT=json` (production), human-readable otherwise.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in a log file or a pipe.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    if std::env::var("MESSAGING_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

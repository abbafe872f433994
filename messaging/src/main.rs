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
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, "messaging service listening");

    messaging::serve(listener, messaging::shutdown_signal()).await?;
    tracing::info!("messaging service stopped");
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); JSON lines when
/// `MESSAGING_LOG_FORMAT=json` (production), human-readable otherwise.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("MESSAGING_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

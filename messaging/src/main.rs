//! Entry point of the secure-messaging service: `messaging serve | migrate | teams … |
//! agents … | keys …` (see `cli.rs`).

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_tracing();
    let cli = messaging::cli::Cli::parse();
    match messaging::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
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

//! `idp`: see `idp --help`.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = idp::cli::Cli::parse();
    match idp::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idp: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

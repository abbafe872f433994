//! The command line: `serve`, `migrate`, `teams …`, `agents …`, `keys rotate|list`,
//! `journal export`. Every
//! command reads the same configuration as `serve`; bad input exits non-zero with a clear
//! message.

#![allow(clippy::print_stdout)] // A command line prints its results.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::{Config, TlsMode};
use crate::crypto::{Keyring, MasterKey, rotation};
use crate::store::{self, agents, keks, teams};

/// The agency's secure-messaging service.
#[derive(Debug, Parser)]
#[command(name = "messaging", version, about)]
pub struct Cli {
    /// Folder holding messaging/default.toml and messaging/<env>.toml.
    #[arg(
        long,
        env = "MESSAGING_CONFIG_DIR",
        default_value = "config",
        global = true
    )]
    pub config_dir: PathBuf,
    /// Environment: dev, test or production.
    #[arg(
        long = "env",
        env = "MESSAGING_ENV",
        default_value = "dev",
        global = true
    )]
    pub environment: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve (migrations are applied first in dev).
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Agency teams and their queues.
    #[command(subcommand)]
    Teams(TeamsCommand),
    /// Agents and the teams they work.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Key-encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The access journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Development: migrations, master key, first key-encryption key, a team for every
    /// category of the configuration and the idp's demo staff member as their agent.
    DevSetup,
}

/// `journal …`.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Write the entries of a period as CSV (to stdout, or --out FILE).
    Export {
        /// First day (2026-12-01) or time (RFC 3339), included.
        #[arg(long, value_parser = crate::journal::parse_time)]
        from: chrono::DateTime<chrono::Utc>,
        /// Last day or time, excluded.
        #[arg(long, value_parser = crate::journal::parse_time)]
        to: chrono::DateTime<chrono::Utc>,
        /// Write here instead of stdout (mode 0600: the journal says who read what).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `teams …`.
#[derive(Debug, Subcommand)]
pub enum TeamsCommand {
    /// Add a team (or rename it).
    Add {
        /// Code: a-z, 0-9 and - (the categories of the configuration name it).
        code: String,
        /// French name.
        #[arg(long)]
        name_fr: String,
        /// English name.
        #[arg(long)]
        name_en: String,
    },
    /// List teams.
    List,
}

/// `agents …`.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// Let an agent (their idp username, CE…) work a team's queue; their token must also carry
    /// the messaging-agent role (`idp users grant NAME messaging-agent`).
    Add {
        /// The agent's idp username.
        username: String,
        /// The team.
        #[arg(long)]
        team: String,
        /// Supervisor of that team (may assign threads to others).
        #[arg(long)]
        supervisor: bool,
    },
    /// Take an agent off a team.
    Remove {
        /// The agent's idp username.
        username: String,
        /// The team.
        #[arg(long)]
        team: String,
    },
    /// List agents.
    List,
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new key-encryption key and re-wrap every thread's data key under it, then retire
    /// the old one; resumes an interrupted rotation first.
    Rotate,
    /// Show every key-encryption key, its state and how many threads it serves.
    List,
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config_dir, &cli.environment)?;
    service_kit::tls::install_crypto_provider();
    match cli.command {
        Command::Serve => serve(config, &cli.environment).await,
        Command::Migrate => {
            let pool = store::pool(&config.database)?;
            store::migrate(&pool, &config.database).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Teams(command) => teams_command(&config, command).await,
        Command::Agents(command) => agents_command(&config, command).await,
        Command::Keys(command) => keys_command(&config, command).await,
        Command::DevSetup => {
            anyhow::ensure!(
                cli.environment == "dev",
                "`messaging dev-setup` seeds demo teams and agents: it runs only with \
                 MESSAGING_ENV=dev, and this is `{}`. Nothing was changed.",
                cli.environment
            );
            crate::dev::setup(config).await
        }
        Command::Journal(JournalCommand::Export { from, to, out }) => {
            let pool = store::pool(&config.database)?;
            let written = match out {
                Some(path) => {
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create_new(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    let file = options
                        .open(&path)
                        .with_context(|| format!("cannot create --out {}", path.display()))?;
                    let mut writer = std::io::BufWriter::new(file);
                    crate::journal::export(&pool, from, to, &mut writer).await?
                }
                None => {
                    let mut writer = std::io::BufWriter::new(std::io::stdout().lock());
                    crate::journal::export(&pool, from, to, &mut writer).await?
                }
            };
            eprintln!("{written} journal entries exported");
            Ok(())
        }
    }
}

async fn serve(config: Config, environment: &str) -> anyhow::Result<()> {
    if environment == "dev" {
        service_kit::tls::ensure_secret_file(&config.keys.master_key_file)?;
    }
    let state = crate::state::AppState::connect(config)?;
    if environment == "dev" {
        store::migrate(&state.db, &state.config.database).await?;
    }
    state.keyring.ensure_active(&state.db).await?;
    let state = state.with_signin().await?;
    crate::notify::start(state.clone())?;
    crate::janitor::start(state.clone());
    let addr: std::net::SocketAddr = state.config.server.bind.parse().with_context(|| {
        format!(
            "configuration key `server.bind`: {:?}",
            state.config.server.bind
        )
    })?;
    let server = &state.config.server;
    let tls = match server.tls {
        TlsMode::Rustls => Some(service_kit::tls::server_config(
            &server.tls_cert,
            &server.tls_key,
        )?),
        TlsMode::Proxy => None,
    };
    let router = crate::app::service(state.clone());
    match tls {
        Some(tls) => {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, "messaging service listening (HTTPS)");
            crate::app::serve_tls(listener, router, tls, crate::app::shutdown_signal()).await
        }
        None => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            tracing::info!(%addr, "messaging service listening");
            crate::app::serve(listener, router, crate::app::shutdown_signal()).await
        }
    }
}

async fn teams_command(config: &Config, command: TeamsCommand) -> anyhow::Result<()> {
    let pool = store::pool(&config.database)?;
    let db = pool.get().await?;
    match command {
        TeamsCommand::Add {
            code,
            name_fr,
            name_en,
        } => {
            let valid = !code.is_empty()
                && code.len() <= 40
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            anyhow::ensure!(valid, "team code `{code}`: 1 to 40 of a-z, 0-9 and -");
            anyhow::ensure!(
                !name_fr.trim().is_empty() && !name_en.trim().is_empty(),
                "--name-fr and --name-en are required"
            );
            let team = teams::Team {
                code: code.clone(),
                name_fr: name_fr.trim().to_owned(),
                name_en: name_en.trim().to_owned(),
            };
            if teams::upsert(&db, &team).await? {
                println!("team `{code}` added");
            } else {
                println!("team `{code}` renamed");
            }
            let routed: Vec<&str> = config
                .categories
                .iter()
                .filter(|c| c.team == code)
                .map(|c| c.code.as_str())
                .collect();
            if routed.is_empty() {
                println!("note: no category of the configuration routes to `{code}` yet");
            }
        }
        TeamsCommand::List => {
            for team in teams::list(&db).await? {
                println!("{}\t{}\t{}", team.code, team.name_fr, team.name_en);
            }
        }
    }
    Ok(())
}

async fn agents_command(config: &Config, command: AgentsCommand) -> anyhow::Result<()> {
    let pool = store::pool(&config.database)?;
    let db = pool.get().await?;
    let username_ok =
        |u: &str| !u.is_empty() && u.len() <= 64 && u.chars().all(|c| c.is_ascii_alphanumeric());
    match command {
        AgentsCommand::Add {
            username,
            team,
            supervisor,
        } => {
            anyhow::ensure!(
                username_ok(&username),
                "username `{username}`: letters and digits (CE…)"
            );
            anyhow::ensure!(
                teams::exists(&db, &team).await?,
                "no team `{team}` (`messaging teams list`)"
            );
            let member = agents::Membership {
                username: username.to_uppercase(),
                team: team.clone(),
                supervisor,
            };
            agents::upsert(&db, &member).await?;
            let role = if supervisor { "supervisor" } else { "agent" };
            println!("`{}` works `{team}` as {role}", member.username);
        }
        AgentsCommand::Remove { username, team } => {
            let removed = agents::remove(&db, &username.to_uppercase(), &team).await?;
            anyhow::ensure!(removed, "`{username}` does not work `{team}`");
            println!("`{}` no longer works `{team}`", username.to_uppercase());
        }
        AgentsCommand::List => {
            for m in agents::list(&db).await? {
                let role = if m.supervisor { "supervisor" } else { "agent" };
                println!("{}\t{}\t{role}", m.username, m.team);
            }
        }
    }
    Ok(())
}

async fn keys_command(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    let pool = store::pool(&config.database)?;
    match command {
        KeysCommand::Rotate => {
            let keyring = Keyring::new(MasterKey::load(&config.keys.master_key_file)?);
            keyring.ensure_active(&pool).await?;
            let report = rotation::rotate(&pool, &keyring, 500).await?;
            if !report.started {
                println!("resumed an unfinished rotation");
            }
            println!(
                "{} data keys re-wrapped, {} key-encryption keys retired",
                report.rewrapped, report.retired
            );
        }
        KeysCommand::List => {
            let db = pool.get().await?;
            println!("id\tstate\tcreated\tdata keys (threads and drafts)");
            for k in keks::list(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    k.id,
                    k.state,
                    k.created_at.format("%Y-%m-%d %H:%M UTC"),
                    k.data_keys
                );
            }
        }
    }
    Ok(())
}

//! The command line: `serve`, `migrate`, `clients …`, `users …`, `delegations …`, `keys …`,
//! `dev-setup`.
//! Every command reads the same configuration as `serve`; bad input exits non-zero with a
//! clear message.

#![allow(clippy::print_stdout)] // A command line prints its results.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::admin::{clients::Registration, users::NewUser};
use crate::config::Config;
use crate::keys::SigningAlg;
use crate::{admin, store};

/// The agency's OpenID Connect identity provider.
#[derive(Debug, Parser)]
#[command(name = "idp", version, about)]
pub struct Cli {
    /// Folder holding default.toml and <env>.toml.
    #[arg(long, env = "IDP_CONFIG_DIR", default_value = "config", global = true)]
    pub config_dir: PathBuf,
    /// Environment: dev, test or production.
    #[arg(long = "env", env = "IDP_ENV", default_value = "dev", global = true)]
    pub environment: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the provider (migrations are applied first in dev).
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Relying-party registrations.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Staff accounts acting for professionals (the `acts_for` claim).
    #[command(subcommand)]
    Delegations(DelegationsCommand),
    /// The agency's register of professionals (enrolment by NIP).
    #[command(subcommand)]
    Professionals(ProfessionalsCommand),
    /// Personal identification numbers mailed to professionals (enrolment by NIP).
    #[command(subcommand)]
    Nip(NipCommand),
    /// Development: certificates, secrets, migrations, keys, demo clients and accounts.
    DevSetup,
}

/// `professionals …`.
#[derive(Debug, Subcommand)]
pub enum ProfessionalsCommand {
    /// Import (add or update by number) the register from a CSV file with the columns
    /// numero, prenom, nom, profession, adresse, ville, province, code_postal[, courriel].
    /// A file with any bad row imports nothing and names each row by its line.
    Import {
        /// The CSV file (UTF-8).
        file: PathBuf,
    },
}

/// `nip …`.
#[derive(Debug, Subcommand)]
pub enum NipCommand {
    /// Issue a NIP to professionals (the previous one invalidated) and write the print
    /// house's mailing file and letters into a new folder.
    Issue {
        /// Every professional not enrolled who was never sent a NIP, or whose new letter the
        /// help desk asked for (« Renvoyer le NIP »).
        #[arg(long, conflicts_with = "numbers")]
        all_new: bool,
        /// Professional numbers.
        numbers: Vec<String>,
        /// A folder that does not exist yet (made readable by its owner only).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `clients …`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a client.
    Add(ClientAdd),
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// Client id.
        id: String,
    },
    /// Remove a client (its tokens and consents go with it).
    Remove {
        /// Client id.
        id: String,
    },
    /// Issue a new secret to a confidential client.
    RotateSecret {
        /// Client id.
        id: String,
        /// Write the secret to this file (mode 0600) instead of printing it.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
}

/// `clients add`.
#[derive(Debug, Args)]
pub struct ClientAdd {
    /// Client id.
    #[arg(long)]
    id: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// Write the generated secret to this file (mode 0600) instead of printing it.
    #[arg(long, conflicts_with = "public")]
    secret_file: Option<PathBuf>,
    /// A public client (PKCE, no secret).
    #[arg(long)]
    public: bool,
    /// Exact redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Exact post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Grant type (repeatable; default authorization_code and refresh_token).
    #[arg(long = "grant")]
    grants: Vec<String>,
    /// Allowed scope (repeatable; default openid profile email).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// id_token signing algorithm.
    #[arg(long, default_value = "RS256", value_parser = parse_alg)]
    id_token_alg: SigningAlg,
    /// First-party: no consent page.
    #[arg(long)]
    first_party: bool,
    /// Back-channel logout URI.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// The service's home URL: the online-services home page lists the service with a link
    /// to it (without one, the client is not listed).
    #[arg(long)]
    home_uri: Option<String>,
}

/// `users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add an account.
    Add(UserAdd),
    /// Lift every lock of an account and reopen its recovery (help desk, after establishing
    /// the caller's identity).
    Unlock {
        /// IP…, CE… or e-mail alias.
        username: String,
    },
    /// Issue a temporary password (help desk): printed once, single use, expires after
    /// password_policy.temporary_ttl_hours; the first login forces a new password.
    TempPassword {
        /// IP…, CE… or e-mail alias.
        username: String,
    },
    /// Grant an agency role (messaging-agent, messaging-supervisor, helpdesk-agent,
    /// security-officer, administrator); audited, carried in the
    /// `roles` claim of the next token.
    Grant {
        /// IP…, CE… or e-mail alias.
        username: String,
        /// The role.
        role: String,
    },
    /// Take an agency role away; audited; the next token (and the next refresh) lacks it.
    Revoke {
        /// IP…, CE… or e-mail alias.
        username: String,
        /// The role.
        role: String,
    },
}

/// `delegations …`.
#[derive(Debug, Subcommand)]
pub enum DelegationsCommand {
    /// Let a staff account act for a professional (at one service, or at all); audited.
    Grant(DelegationArgs),
    /// End a delegation; the next token and the next refresh no longer carry it; audited.
    Revoke(DelegationArgs),
    /// List active delegations (of one account with --account).
    List {
        /// Only the delegations this account (staff or professional) takes part in.
        #[arg(long)]
        account: Option<String>,
        /// Revoked delegations too.
        #[arg(long)]
        all: bool,
    },
}

/// Who acts for whom, and where.
#[derive(Debug, Args)]
pub struct DelegationArgs {
    /// The staff account (CE…).
    #[arg(long)]
    staff: String,
    /// The professional (IP…).
    #[arg(long = "for")]
    professional: String,
    /// A client id (e.g. messaging); every service when absent.
    #[arg(long)]
    service: Option<String>,
}

/// `users add`.
#[derive(Debug, Args)]
pub struct UserAdd {
    /// IP… (professional) or CE… (staff).
    #[arg(long)]
    username: String,
    /// File whose first line is the password.
    #[arg(long)]
    password_file: PathBuf,
    /// First name.
    #[arg(long)]
    given_name: String,
    /// Last name.
    #[arg(long)]
    family_name: String,
    /// E-mail.
    #[arg(long)]
    email: Option<String>,
    /// Profession.
    #[arg(long)]
    profession: Option<String>,
    /// professional or staff.
    #[arg(long = "type", default_value = "professional")]
    account_type: String,
}

/// `keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add the next key of every algorithm; it is published now and signs after the
    /// pre-publication delay; the old key is retired after the longest token lifetime.
    Rotate,
    /// Show every key's state and age.
    List,
    /// Create a key for every configured algorithm that has none yet, active at once (first
    /// start of a deployment; a no-op afterwards).
    Ensure,
}

fn parse_alg(s: &str) -> Result<SigningAlg, String> {
    SigningAlg::parse(s).ok_or_else(|| "one of RS256, ES256, EdDSA".to_owned())
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config_dir, &cli.environment)?;
    crate::telemetry::init(&config.telemetry);
    crate::tls::install_crypto_provider();
    match cli.command {
        Command::Serve => {
            let pool = store::pool(&config.database)?;
            if cli.environment == "dev" {
                store::migrate(&pool, &config.database).await?;
            }
            let app = crate::app::Application::build(config).await?;
            tracing::info!(port = app.port(), "idp listening");
            app.run_until_stopped().await
        }
        Command::Migrate => {
            let pool = store::pool(&config.database)?;
            store::migrate(&pool, &config.database).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Clients(command) => clients(&config, command).await,
        Command::Users(UsersCommand::Add(add)) => users_add(&config, add).await,
        Command::Users(UsersCommand::Unlock { username }) => {
            let pool = store::pool(&config.database)?;
            let db = pool.get().await?;
            let kv = store::Kv::open(&config.redis)
                .map_err(|e| anyhow::anyhow!("redis at `redis.url`: {e}"))?;
            admin::users::unlock(&db, &kv, &username).await?;
            println!("account `{username}` unlocked");
            Ok(())
        }
        Command::Users(UsersCommand::TempPassword { username }) => {
            let pool = store::pool(&config.database)?;
            let mut db = pool.get().await?;
            let tx = db.transaction().await?;
            let hasher = crate::password::Hasher::new(config.password, 1, Duration::from_secs(30))?;
            let issued =
                admin::temp_password::issue(&tx, &hasher, &config.password_policy, &username)
                    .await?;
            tx.commit().await?;
            println!(
                "temporary password for `{username}` (shown once, single use, expires {}):\n{}",
                issued.expires_at.format("%Y-%m-%d %H:%M UTC"),
                issued.password
            );
            Ok(())
        }
        Command::Users(UsersCommand::Grant { username, role }) => {
            let role = admin::roles::parse(&role)?;
            let pool = store::pool(&config.database)?;
            let mut db = pool.get().await?;
            let tx = db.transaction().await?;
            let outcome = admin::roles::grant(&tx, &username, role).await?;
            tx.commit().await?;
            match outcome {
                admin::roles::Outcome::Changed => println!("`{username}` now holds {role}"),
                admin::roles::Outcome::Unchanged => println!("`{username}` already holds {role}"),
            }
            Ok(())
        }
        Command::Users(UsersCommand::Revoke { username, role }) => {
            let role = admin::roles::parse(&role)?;
            let pool = store::pool(&config.database)?;
            let mut db = pool.get().await?;
            let tx = db.transaction().await?;
            let outcome = admin::roles::revoke(&tx, &username, role).await?;
            tx.commit().await?;
            match outcome {
                admin::roles::Outcome::Changed => println!("`{username}` no longer holds {role}"),
                admin::roles::Outcome::Unchanged => println!("`{username}` did not hold {role}"),
            }
            Ok(())
        }
        Command::Delegations(command) => delegations(&config, command).await,
        Command::Professionals(ProfessionalsCommand::Import { file }) => {
            import_register(&config, &file).await
        }
        Command::Nip(NipCommand::Issue {
            all_new,
            numbers,
            out,
        }) => issue_nips(&config, all_new, numbers, &out).await,
        Command::Keys(command) => keys(&config, command).await,
        Command::DevSetup => {
            // Demo accounts with published passwords have no place outside development.
            if cli.environment != "dev" {
                anyhow::bail!(
                    "`idp dev-setup` seeds demo accounts whose passwords are in the README: it \
                     runs only with IDP_ENV=dev, and this is `{}`. Nothing was changed.",
                    cli.environment
                );
            }
            crate::dev::setup(&config).await
        }
    }
}

async fn clients(config: &Config, command: ClientsCommand) -> anyhow::Result<()> {
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    match command {
        ClientsCommand::Add(add) => {
            let grants = if add.grants.is_empty() {
                vec!["authorization_code".into(), "refresh_token".into()]
            } else {
                add.grants
            };
            let scopes = if add.scopes.is_empty() {
                vec!["openid".into(), "profile".into(), "email".into()]
            } else {
                add.scopes
            };
            let registration = Registration {
                id: add.id.clone(),
                name: add.name,
                public: add.public,
                redirect_uris: add.redirect_uris,
                post_logout_redirect_uris: add.post_logout_redirect_uris,
                grant_types: grants,
                scopes,
                id_token_alg: add.id_token_alg,
                first_party: add.first_party,
                backchannel_logout_uri: add.backchannel_logout_uri,
                home_uri: add.home_uri,
            };
            // The secret is handed over before the registration commits: if it cannot be written,
            // nothing is registered.
            let tx = db.transaction().await?;
            let secret =
                admin::clients::register(&tx, &config.client_secret_key()?, registration).await?;
            if let Some(secret) = secret {
                hand_over_secret(&secret, add.secret_file.as_deref())?;
            }
            tx.commit().await?;
            println!("client `{}` registered", add.id);
        }
        ClientsCommand::List => {
            for (c, disabled_at) in store::clients::list(&db).await? {
                let kind = if c.secret_hash.is_some() {
                    "confidential"
                } else {
                    "public"
                };
                let state = if disabled_at.is_some() {
                    "\tdisabled"
                } else {
                    ""
                };
                println!(
                    "{}\t{}\t{kind}\t{}{state}",
                    c.id,
                    c.name,
                    c.grant_types.join(",")
                );
            }
        }
        ClientsCommand::Show { id } => {
            let (c, disabled_at) = store::clients::get_any(&db, &id)
                .await?
                .with_context(|| format!("no client `{id}`"))?;
            if let Some(at) = disabled_at {
                println!("disabled since {at}");
            }
            println!(
                "id: {}\nname: {}\ntype: {}",
                c.id,
                c.name,
                if c.secret_hash.is_some() {
                    "confidential"
                } else {
                    "public"
                }
            );
            println!(
                "redirect_uris: {}\npost_logout_redirect_uris: {}",
                c.redirect_uris.join(" "),
                c.post_logout_redirect_uris.join(" ")
            );
            println!(
                "grants: {}\nscopes: {}\nid_token_alg: {}",
                c.grant_types.join(" "),
                c.scopes.join(" "),
                c.id_token_alg
            );
            println!(
                "first_party: {}\nbackchannel_logout_uri: {}\nhome_uri: {}",
                c.first_party,
                c.backchannel_logout_uri.unwrap_or_default(),
                c.home_uri.unwrap_or_default()
            );
        }
        ClientsCommand::Remove { id } => {
            anyhow::ensure!(store::clients::delete(&db, &id).await?, "no client `{id}`");
            println!("client `{id}` removed");
        }
        ClientsCommand::RotateSecret { id, secret_file } => {
            let tx = db.transaction().await?;
            let secret =
                admin::clients::rotate_secret(&tx, &config.client_secret_key()?, &id).await?;
            hand_over_secret(&secret, secret_file.as_deref())?;
            tx.commit().await?;
        }
    }
    Ok(())
}

fn hand_over_secret(secret: &str, file: Option<&std::path::Path>) -> anyhow::Result<()> {
    match file {
        Some(path) => {
            crate::dev::write_private(path, secret)?;
            println!("secret written to {} (shown nowhere else)", path.display());
        }
        None => println!("client_secret (shown once): {secret}"),
    }
    Ok(())
}

async fn users_add(config: &Config, add: UserAdd) -> anyhow::Result<()> {
    let password = std::fs::read_to_string(&add.password_file).with_context(|| {
        format!(
            "cannot read --password-file {}",
            add.password_file.display()
        )
    })?;
    let password = password.lines().next().unwrap_or_default().to_owned();
    let hasher = crate::password::Hasher::new(config.password, 1, Duration::from_secs(60))?;
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    let tx = db.transaction().await?;
    let user = NewUser {
        username: add.username.clone(),
        password,
        given_name: add.given_name,
        family_name: add.family_name,
        email: add.email,
        profession: add.profession,
        account_type: add.account_type,
    };
    let id = admin::users::add(&tx, &hasher, admin::users::Rules::of(config), user).await?;
    tx.commit().await?;
    println!("account `{}` added (sub {id})", add.username);
    Ok(())
}

async fn import_register(config: &Config, file: &Path) -> anyhow::Result<()> {
    use crate::enrolment::register::{self, ImportError};
    let reader = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let rows = match register::parse(std::io::BufReader::new(reader)) {
        Ok(rows) => rows,
        Err(ImportError::Rows(bad)) => {
            for row in &bad {
                eprintln!("line {}: {}", row.line, row.problem);
            }
            anyhow::bail!(
                "{} row(s) refused in {}; nothing was imported",
                bad.len(),
                file.display()
            );
        }
        Err(e) => anyhow::bail!("{}: {e}; nothing was imported", file.display()),
    };
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    let tx = db.transaction().await?;
    let done = register::import(&tx, &rows).await?;
    tx.commit().await?;
    println!(
        "register imported: {} added, {} updated, {} unchanged",
        done.added, done.updated, done.unchanged
    );
    Ok(())
}

async fn issue_nips(
    config: &Config,
    all_new: bool,
    numbers: Vec<String>,
    out: &Path,
) -> anyhow::Result<()> {
    use crate::enrolment::nip;
    use crate::store::professionals;
    if !all_new && numbers.is_empty() {
        anyhow::bail!("name professional numbers, or --all-new");
    }
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    let tx = db.transaction().await?;
    let to = if all_new {
        professionals::awaiting_a_nip(&tx).await?
    } else {
        let mut parsed = Vec::with_capacity(numbers.len());
        for raw in &numbers {
            let number = crate::domain::ProfessionalNumber::parse(raw, false).ok_or_else(|| {
                anyhow::anyhow!(
                    "`{raw}` is not a professional number (5 to 10 digits); nothing was issued"
                )
            })?;
            parsed.push(number.as_str().to_owned());
        }
        let numbers = parsed;
        let found = professionals::by_numbers(&tx, &numbers).await?;
        let unknown: Vec<&String> = numbers
            .iter()
            .filter(|n| !found.iter().any(|p| &p.number == *n))
            .collect();
        if !unknown.is_empty() {
            anyhow::bail!(
                "not in the register: {}; nothing was issued",
                unknown
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        found
    };
    if to.is_empty() {
        println!("no professional awaits a NIP; nothing was issued");
        return Ok(());
    }
    let key = config.client_secret_key()?;
    let issued = nip::issue(&tx, &key, config.enrolment, to).await?;
    // The files first: a transaction whose letters could not be written is not committed.
    let mailing = nip::write_mailing(out, nip::AGENCY, config.enrolment, &issued)?;
    tx.commit().await?;
    println!(
        "{} NIP(s) issued; mailing file {} and letters in {}",
        issued.len(),
        mailing.display(),
        out.join("letters").display()
    );
    Ok(())
}

async fn delegations(config: &Config, command: DelegationsCommand) -> anyhow::Result<()> {
    use admin::delegations::Delegation;
    use admin::roles::Outcome;
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    let describe = |args: &DelegationArgs| {
        format!(
            "`{}` acting for `{}` at {}",
            args.staff,
            args.professional,
            args.service.as_deref().unwrap_or("every service")
        )
    };
    match command {
        DelegationsCommand::Grant(args) | DelegationsCommand::Revoke(args)
            if args.service.as_deref() == Some("") =>
        {
            anyhow::bail!("--service is empty: give a client id, or leave it out for every service")
        }
        DelegationsCommand::Grant(args) => {
            let tx = db.transaction().await?;
            let delegation = Delegation {
                staff: &args.staff,
                professional: &args.professional,
                service: args.service.as_deref(),
            };
            let outcome = admin::delegations::grant(&tx, delegation).await?;
            tx.commit().await?;
            match outcome {
                Outcome::Changed => println!("delegation granted: {}", describe(&args)),
                Outcome::Unchanged => println!("already granted: {}", describe(&args)),
            }
        }
        DelegationsCommand::Revoke(args) => {
            let tx = db.transaction().await?;
            let delegation = Delegation {
                staff: &args.staff,
                professional: &args.professional,
                service: args.service.as_deref(),
            };
            let outcome = admin::delegations::revoke(&tx, delegation).await?;
            tx.commit().await?;
            match outcome {
                Outcome::Changed => println!("delegation revoked: {}", describe(&args)),
                Outcome::Unchanged => {
                    anyhow::bail!("no active delegation: {}", describe(&args))
                }
            }
        }
        DelegationsCommand::List { account, all } => {
            for d in admin::delegations::list(&db, account.as_deref(), all).await? {
                let state = match d.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\tgranted {}\t{state}",
                    d.staff,
                    d.professional,
                    d.service.as_deref().unwrap_or("*"),
                    d.granted_at.format("%Y-%m-%d %H:%M UTC"),
                );
            }
        }
    }
    Ok(())
}

async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<()> {
    let pool = store::pool(&config.database)?;
    let mut db = pool.get().await?;
    if let KeysCommand::Ensure = command {
        let tx = db.transaction().await?;
        crate::keys::rotation::ensure_keys(
            &tx,
            &config.key_encryption_key()?,
            &config.keys.algorithms,
        )
        .await?;
        tx.commit().await?;
    }
    if let KeysCommand::Rotate = command {
        let tx = db.transaction().await?;
        let kek = config.key_encryption_key()?;
        let added = crate::keys::rotation::rotate_as_configured(&tx, &kek, config).await?;
        tx.commit().await?;
        for key in &added {
            println!(
                "added {} {} (signs from {})",
                key.alg, key.kid, key.activate_at
            );
        }
    }
    println!("kid\talg\tstate\tage\tactivates\tretires");
    let now = chrono::Utc::now();
    let keys = crate::keys::rotation::list(&db)
        .await
        .context("cannot read the signing keys (has `idp migrate` run?)")?;
    for key in keys {
        let age = now - key.created_at;
        let retire = key
            .retire_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "-".into());
        println!(
            "{}\t{}\t{}\t{}h{:02}m\t{}\t{retire}",
            key.kid,
            key.alg,
            key.state,
            age.num_hours(),
            age.num_minutes() % 60,
            key.activate_at.to_rfc3339()
        );
    }
    Ok(())
}

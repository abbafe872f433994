//! `loadgen`: drives a running idp with N concurrent workers for a fixed time and reports
//! throughput, latency percentiles, and the CPU the idp (and Postgres and Redis) spent per
//! operation, read from `/proc`. See BENCHMARKS.md and `scripts/bench`.

#![allow(clippy::print_stdout)] // A command line prints its results.

mod bigfile;
mod flows;
mod hashref;
mod helpdesk;
mod messaging;
mod mixed;
mod mixed_messaging;
mod procfs;
mod recovery;
mod registration;
mod stats;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use url::Url;

use flows::Target;
use stats::{CpuSnapshot, Report};

/// Load generator for the idp.
#[derive(Debug, Parser)]
#[command(name = "loadgen", about)]
struct Cli {
    /// The idp's base URL.
    #[arg(long, default_value = "https://localhost:8443")]
    base: Url,
    /// PEM file of the CA that signed the idp's certificate.
    #[arg(long, default_value = "certs/dev-ca.pem")]
    ca: PathBuf,
    /// Confidential client used for the token, introspection and code grants.
    #[arg(long, default_value = "demo-portal")]
    client_id: String,
    /// File whose first line is the client's secret.
    #[arg(long, default_value = ".local/demo/demo-portal.secret")]
    client_secret_file: PathBuf,
    /// A registered redirect URI of the client.
    #[arg(long, default_value = idp::dev::DEMO_PORTAL_CALLBACK)]
    redirect_uri: String,
    /// Account for the login and refresh scenarios.
    #[arg(long, default_value = idp::dev::DEMO_PROFESSIONAL.0)]
    username: String,
    /// Its password.
    #[arg(long, default_value = idp::dev::DEMO_PROFESSIONAL.1)]
    password: String,
    /// What to measure.
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// The messaging service's base URL (the messaging scenarios).
    #[arg(long, default_value = "https://localhost:8444")]
    messaging_base: Url,
    /// Name of the row in the results (the scenario's name by default).
    #[arg(long)]
    label: Option<String>,
    /// Concurrent workers, each with its own connection.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Measured time (`20s`, `1500ms`, `1m`).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    duration: Duration,
    /// Unmeasured warm-up before it (pools filled, caches loaded).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Upper bound on the operations of the measured phase, all workers together.
    #[arg(long, default_value_t = 5_000_000)]
    max_ops: u64,
    /// Open loop: each worker starts an operation every this long (`500ms`) whether or not
    /// the last one finished, and a latency counts from when the operation was due, not from
    /// when a late worker got to it (no coordinated omission). Without it, closed loop: each
    /// worker starts the next operation as soon as the last one ends.
    #[arg(long, value_parser = parse_duration)]
    every: Option<Duration>,
    /// A fresh client, TCP connection and full TLS handshake for every operation.
    #[arg(long)]
    new_connection_per_request: bool,
    /// The idp's process id, for its CPU time.
    #[arg(long)]
    server_pid: Option<u32>,
    /// `comm` of the Postgres processes whose CPU time is summed.
    #[arg(long, default_value = "postgres")]
    postgres_pid_pattern: String,
    /// `comm` of the Redis processes whose CPU time is summed.
    #[arg(long, default_value = "redis-server")]
    redis_pid_pattern: String,
    /// Folder of the idp's configuration (the Argon2id cost is read from it).
    #[arg(long, env = "IDP_CONFIG_DIR", default_value = "config")]
    config_dir: PathBuf,
    /// The idp's environment (`IDP_ENV`).
    #[arg(long = "idp-env", env = "IDP_ENV", default_value = "dev")]
    idp_env: String,
    /// Append a Markdown table row (and the header if the file is new) to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Target idp CPU per operation, in µs, shown against the figure.
    #[arg(long)]
    target_cpu_us: Option<f64>,
    /// Target p99 latency, in ms, shown against the figure.
    #[arg(long)]
    target_p99_ms: Option<f64>,
    /// Target ratio of idp CPU per login to the CPU of one Argon2id hash.
    #[arg(long)]
    target_hash_ratio: Option<f64>,
    /// The registration scenario's numbers and NIPs (`nips.csv` of `idp nip issue`).
    #[arg(long)]
    nips: Option<PathBuf>,
    /// The mixed scenario's timeline (CSV: Unix ms, operation, outcome).
    #[arg(long, default_value = ".local/faults/timeline.csv")]
    timeline: PathBuf,
    /// The mixed scenario's messaging correspondents (besides `--concurrency` idp workers).
    #[arg(long, default_value_t = 0)]
    messaging_workers: usize,
    /// Size of the attachment of the big-file scenario, MiB.
    #[arg(long, default_value_t = 1024)]
    file_mib: u64,
}

/// The measured operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// `POST /token`, `client_credentials`.
    ClientCredentials,
    /// `POST /introspect` of a JWT access token.
    Introspect,
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// `GET /jwks.json`.
    Jwks,
    /// `POST /token`, `refresh_token` with rotation; one chain per worker.
    Refresh,
    /// authorize → login page → password → code → tokens.
    Login,
    /// « Mot de passe oublié? » → username → three right answers (one account per worker).
    Recovery,
    /// « Mot de passe oublié? » for a name that is no account: decoy questions, answered and
    /// refused (a new name each time).
    RecoveryUnknown,
    /// The login page, then its POST against an idp whose Redis is down or silent: the time
    /// to the fail-closed 503 (anything else is an error).
    LoginUnavailable,
    /// Messaging: `POST /api/v1/threads/{id}/messages`, 2 kB body, each worker in a thread of
    /// its own.
    MessagingSend,
    /// Messaging: `GET /api/v1/threads`, the first inbox page.
    MessagingInbox,
    /// Messaging: `GET /api/v1/threads/{id}`, the first page of a thread.
    MessagingThread,
    /// `GET /helpdesk?q=…` as a signed-in help-desk agent (`--username`), searches cycling
    /// through names, usernames, numbers and addresses.
    HelpdeskSearch,
    /// « Information et inscription »: `/enrol` with a number and NIP from `--nips`, a new
    /// password, the eight questions (a new professional and a new browser each time).
    Registration,
    /// Not a measure: signs in as `--username` and prints the access token (scripts that
    /// need a bearer token, as `scripts/fuzz-http`).
    AccessToken,
    /// Logins, refreshes, `client_credentials` and recoveries in turn, and with
    /// `--messaging-workers` messages with files, reads and downloads; each answer to
    /// `--timeline`, the chains and threads checked at the end (`scripts/faults`, no warm-up).
    Mixed,
    /// Messaging: one attachment of `--file-mib` uploaded then downloaded (rate and the
    /// messaging process's memory; not a timed loop: `--duration` does not apply).
    MessagingBigFile,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::ClientCredentials => "client-credentials",
            Scenario::Introspect => "introspect",
            Scenario::Discovery => "discovery",
            Scenario::Jwks => "jwks",
            Scenario::Refresh => "refresh",
            Scenario::Login => "login",
            Scenario::Recovery => "recovery",
            Scenario::RecoveryUnknown => "recovery-unknown",
            Scenario::LoginUnavailable => "login-unavailable",
            Scenario::MessagingSend => "messaging-send",
            Scenario::MessagingInbox => "messaging-inbox",
            Scenario::MessagingThread => "messaging-thread",
            Scenario::MessagingBigFile => "messaging-big-file",
            Scenario::HelpdeskSearch => "helpdesk-search",
            Scenario::Registration => "registration",
            Scenario::Mixed => "mixed",
            Scenario::AccessToken => "access-token",
        }
    }

    fn is_messaging(self) -> bool {
        matches!(
            self,
            Scenario::MessagingSend | Scenario::MessagingInbox | Scenario::MessagingThread
        )
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 20s or 500ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in `{s}` (ms, s, m)")),
    };
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("`{s}` is out of range (0 to 1 h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// One worker's state, carried from the warm-up into the measured phase.
struct Worker {
    /// Its keep-alive client (one connection), unless a fresh one is built per operation.
    http: Option<reqwest::Client>,
    /// Introspect: the access token to introspect.
    token: Arc<str>,
    /// Refresh: the current end of this worker's chain.
    chain: Option<String>,
    /// Refresh: chains restarted by a login after a failed rotation.
    relogins: u64,
    /// Recovery: the account this worker recovers.
    account: Option<Arc<recovery::Account>>,
    /// Messaging: this worker's thread.
    thread: String,
    /// Registration: the NIPs (shared) and the question ids to answer.
    registration: Option<(Arc<registration::Nips>, Arc<[String]>)>,
}

impl Worker {
    async fn op(&mut self, target: &Target, scenario: Scenario) -> anyhow::Result<()> {
        let http = match &self.http {
            Some(http) => http.clone(),
            None => target.client()?,
        };
        match scenario {
            Scenario::Discovery => {
                target
                    .get_ok(&http, "/.well-known/openid-configuration")
                    .await
            }
            Scenario::Jwks => target.get_ok(&http, "/jwks.json").await,
            Scenario::ClientCredentials => target.client_credentials(&http).await.map(drop),
            Scenario::Introspect => target.introspect(&http, &self.token).await,
            Scenario::Login => target.login(&http).await.map(drop),
            Scenario::LoginUnavailable => target.login_unavailable(&http).await,
            Scenario::RecoveryUnknown => recovery::attempt_unknown(target, &http).await,
            Scenario::Recovery => match &self.account {
                Some(account) => recovery::attempt(target, &http, account).await,
                None => bail!("recovery: no account for this worker"),
            },
            Scenario::MessagingSend => {
                let body = &target.messaging_body;
                messaging::send(
                    &http,
                    &target.messaging_base,
                    &self.token,
                    &self.thread,
                    body,
                )
                .await
            }
            Scenario::MessagingInbox => {
                messaging::read(
                    &http,
                    &target.messaging_base,
                    &self.token,
                    "/api/v1/threads",
                )
                .await
            }
            Scenario::MessagingThread => {
                let path = format!("/api/v1/threads/{}", self.thread);
                messaging::read(&http, &target.messaging_base, &self.token, &path).await
            }
            Scenario::HelpdeskSearch => helpdesk::search(target, &http).await,
            Scenario::Registration => match &self.registration {
                Some((nips, questions)) => registration::register(target, nips, questions).await,
                None => bail!("registration: no --nips"),
            },
            Scenario::MessagingBigFile => {
                anyhow::bail!("messaging-big-file is one transfer, not a timed loop")
            }
            Scenario::Mixed => anyhow::bail!("mixed runs its own loop (mixed.rs)"),
            Scenario::AccessToken => anyhow::bail!("access-token prints one token"),
            Scenario::Refresh => {
                let current = match self.chain.take() {
                    Some(c) => c,
                    None => {
                        self.relogins += 1;
                        target.login(&http).await?
                    }
                };
                // On failure the chain stays empty: the next operation starts a new one.
                self.chain = Some(target.refresh(&http, &current).await?);
                Ok(())
            }
        }
    }
}

/// What one worker saw in one phase.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latencies of successful operations, µs.
    pub latencies_us: Vec<u32>,
    /// Failed operations.
    pub errors: u64,
    /// The first error, for the log.
    pub first_error: Option<String>,
}

async fn run_phase(
    workers: Vec<Worker>,
    target: &Arc<Target>,
    scenario: Scenario,
    duration: Duration,
    max_ops: u64,
    every: Option<Duration>,
) -> anyhow::Result<(Vec<Worker>, Vec<Outcome>)> {
    let count = workers.len().max(1);
    let per_worker = max_ops.div_ceil(count as u64);
    let begin = tokio::time::Instant::now();
    let deadline = begin + duration;
    let mut tasks = Vec::with_capacity(workers.len());
    for (i, mut worker) in workers.into_iter().enumerate() {
        let target = Arc::clone(target);
        // Open loop: the workers' schedules are spread over one period.
        let mut due = every.map(|e| begin + e.mul_f64(i as f64 / count as f64));
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            let mut done = 0u64;
            while tokio::time::Instant::now() < deadline && done < per_worker {
                done += 1;
                let start = match (due, every) {
                    (Some(at), Some(period)) => {
                        tokio::time::sleep_until(at).await;
                        due = Some(at + period);
                        at.into_std()
                    }
                    _ => Instant::now(),
                };
                match worker.op(&target, scenario).await {
                    Ok(()) => {
                        let us = start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                        outcome.latencies_us.push(us);
                    }
                    Err(e) => {
                        outcome.errors += 1;
                        if outcome.first_error.is_none() {
                            outcome.first_error = Some(format!("{e:#}"));
                        }
                        // Do not spin on a server that refuses at once.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (worker, outcome)
        }));
    }
    let mut workers = Vec::with_capacity(tasks.len());
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (worker, outcome) = task.await.context("a worker panicked")?;
        workers.push(worker);
        outcomes.push(outcome);
    }
    Ok((workers, outcomes))
}

/// Builds the workers and whatever their scenario needs first.
async fn set_up(cli: &Cli, target: &Target) -> anyhow::Result<Vec<Worker>> {
    let setup_client = target.client()?;
    let token: Arc<str> = if cli.scenario == Scenario::Introspect {
        target
            .client_credentials(&setup_client)
            .await
            .context("introspect set-up: client_credentials")?
            .into()
    } else if cli.scenario.is_messaging() {
        target
            .login_access_token(&setup_client)
            .await
            .context("messaging set-up: the demo professional's access token")?
            .into()
    } else {
        Arc::from("")
    };
    let accounts = if cli.scenario == Scenario::Recovery {
        recovery::seed(&cli.config_dir, &cli.idp_env, cli.concurrency)
            .await
            .context("recovery set-up: seeding the accounts")?
    } else {
        Vec::new()
    };
    let agent = if cli.scenario == Scenario::HelpdeskSearch {
        Some(
            helpdesk::sign_in(target, cli.concurrency)
                .await
                .context("help-desk set-up: the agent's sign-in")?,
        )
    } else {
        None
    };
    let registration = if cli.scenario == Scenario::Registration {
        let path = cli.nips.as_deref().context("registration: --nips FILE")?;
        let nips = Arc::new(registration::Nips::read(path)?);
        let config = idp::config::Config::load(&cli.config_dir, &cli.idp_env)?;
        let questions: Arc<[String]> = config
            .secret_questions
            .catalogue
            .iter()
            .take(config.secret_questions.required)
            .map(|q| q.id.clone())
            .collect();
        Some((nips, questions))
    } else {
        None
    };
    let mut workers = Vec::with_capacity(cli.concurrency);
    for i in 0..cli.concurrency {
        let http = if let Some(agent) = &agent {
            Some(agent.clone())
        } else if cli.new_connection_per_request {
            None
        } else {
            Some(target.client()?)
        };
        let chain = if cli.scenario == Scenario::Refresh {
            let via = http.as_ref().unwrap_or(&setup_client);
            Some(
                target
                    .login(via)
                    .await
                    .with_context(|| format!("refresh set-up: login for worker {i}"))?,
            )
        } else {
            None
        };
        let thread = if cli.scenario.is_messaging() {
            let via = http.as_ref().unwrap_or(&setup_client);
            messaging::open_thread(via, &cli.messaging_base, &token)
                .await
                .with_context(|| format!("messaging set-up: a thread for worker {i}"))?
        } else {
            String::new()
        };
        workers.push(Worker {
            http,
            token: Arc::clone(&token),
            chain,
            relogins: 0,
            account: accounts.get(i).cloned(),
            thread,
            registration: registration.clone(),
        });
    }
    Ok(workers)
}

/// The Argon2id cost the idp is configured with.
fn password_cost(cli: &Cli) -> anyhow::Result<idp::config::PasswordConfig> {
    let config = idp::config::Config::load(&cli.config_dir, &cli.idp_env).with_context(|| {
        format!(
            "cannot read the idp configuration in {} (env {})",
            cli.config_dir.display(),
            cli.idp_env
        )
    })?;
    Ok(config.password)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    idp::tls::install_crypto_provider();
    let ticks_per_second = procfs::clock_ticks_per_second()?;
    let ca =
        std::fs::read(&cli.ca).with_context(|| format!("cannot read --ca {}", cli.ca.display()))?;
    let secret = std::fs::read_to_string(&cli.client_secret_file).with_context(|| {
        format!(
            "cannot read --client-secret-file {}",
            cli.client_secret_file.display()
        )
    })?;
    let secret = secret.lines().next().unwrap_or_default().trim().to_owned();
    let mut target = Target::new(
        cli.base.clone(),
        &ca,
        cli.client_id.clone(),
        &secret,
        cli.redirect_uri.clone(),
        cli.username.clone(),
        cli.password.clone(),
    )?;
    target.messaging_base = cli.messaging_base.clone();
    target.messaging_body = messaging::body_2kb();
    let target = Arc::new(target);
    if cli.scenario == Scenario::Mixed {
        // Each worker recovers an account of its own (seeded through the idp's configuration:
        // `--config-dir`, `IDP_ENV` and the `IDP__` environment name its database).
        let recoveries = recovery::seed(&cli.config_dir, &cli.idp_env, cli.concurrency)
            .await
            .context("mixed set-up: seeding the recovery accounts")?;
        let crew = mixed::Crew {
            workers: cli.concurrency,
            recoveries,
            correspondents: cli.messaging_workers,
        };
        let summary = mixed::run(target, &crew, cli.duration, &cli.timeline).await?;
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    if cli.scenario == Scenario::AccessToken {
        let token = target.login_access_token(&target.client()?).await?;
        println!("{token}");
        return Ok(());
    }
    if cli.scenario == Scenario::MessagingBigFile {
        let http = target.client()?;
        let token = target
            .login_access_token(&http)
            .await
            .context("big-file set-up: the demo professional's access token")?;
        let thread = messaging::open_thread(&http, &cli.messaging_base, &token).await?;
        let pid = cli
            .server_pid
            .context("--server-pid: the messaging process, whose memory is measured")?;
        return bigfile::run(
            &http,
            &cli.messaging_base,
            &token,
            &thread,
            cli.file_mib * 1024 * 1024,
            pid,
            cli.markdown.as_deref(),
        )
        .await;
    }

    let cost = if matches!(
        cli.scenario,
        Scenario::Login | Scenario::Recovery | Scenario::RecoveryUnknown | Scenario::Registration
    ) {
        Some(password_cost(&cli)?)
    } else {
        None
    };

    let workers = set_up(&cli, &target).await?;
    let (workers, warm) = if cli.warmup.is_zero() {
        (workers, Vec::new())
    } else {
        run_phase(
            workers,
            &target,
            cli.scenario,
            cli.warmup,
            cli.max_ops,
            cli.every,
        )
        .await?
    };
    let warm_errors: u64 = warm.iter().map(|o| o.errors).sum();
    if warm_errors > 0 {
        let first = warm.iter().find_map(|o| o.first_error.as_deref());
        eprintln!(
            "warm-up: {warm_errors} errors (first: {})",
            first.unwrap_or("?")
        );
    }
    let relogins_before: u64 = workers.iter().map(|w| w.relogins).sum();

    let snapshot = |label| CpuSnapshot::take(&cli, label);
    let sampler = match cost {
        Some(cost) => Some(hashref::Sampler::start(cost, ticks_per_second)?),
        None => None,
    };
    let before = snapshot("before")?;
    let start = Instant::now();
    let (workers, outcomes) = run_phase(
        workers,
        &target,
        cli.scenario,
        cli.duration,
        cli.max_ops,
        cli.every,
    )
    .await?;
    let elapsed = start.elapsed();
    let after = snapshot("after")?;
    let server_rss_kib = cli.server_pid.and_then(|pid| procfs::rss_kib(pid).ok());
    let relogins = workers.iter().map(|w| w.relogins).sum::<u64>() - relogins_before;
    drop(workers);
    let hash = match sampler {
        Some(sampler) => Some(sampler.finish()?),
        None => None,
    };
    if let (Some(cost), Some(samples)) = (cost, &hash) {
        eprintln!(
            "argon2id m={} KiB t={} p={}: {:.0} µs CPU per hash into reused memory, {:.0} µs \
             into fresh memory ({} samples during the run)",
            cost.memory_kib,
            cost.iterations,
            cost.parallelism,
            hashref::mean(&samples.reused_us).unwrap_or(f64::NAN),
            hashref::mean(&samples.fresh_us).unwrap_or(f64::NAN),
            samples.reused_us.len()
        );
    }

    let report = Report::new(stats::ReportInput {
        scenario: cli
            .label
            .clone()
            .unwrap_or_else(|| cli.scenario.name().to_owned()),
        concurrency: cli.concurrency,
        new_connections: cli.new_connection_per_request,
        elapsed,
        outcomes,
        before,
        after,
        ticks_per_second,
        relogins,
        hash,
        targets: stats::Targets {
            cpu_us: cli.target_cpu_us,
            p99_ms: cli.target_p99_ms,
            hash_ratio: cli.target_hash_ratio,
        },
        server_rss_kib,
    });
    if let Some(first) = &report.first_error {
        eprintln!("first error: {first}");
    }
    println!("{}", report.line());
    if let Some(path) = &cli.markdown {
        let new = std::fs::metadata(path)
            .map(|m| m.len() == 0)
            .unwrap_or(true);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open --markdown {}", path.display()))?;
        if new {
            writeln!(file, "{}", Report::markdown_header())?;
        }
        writeln!(file, "{}", report.markdown_row())?;
    }
    Ok(())
}

impl CpuSnapshot {
    fn take(cli: &Cli, label: &str) -> anyhow::Result<Self> {
        let server = match cli.server_pid {
            Some(pid) => Some(
                procfs::process_ticks(pid)
                    .with_context(|| format!("{label}: the idp (pid {pid}) is not running"))?,
            ),
            None => None,
        };
        let (postgres, postgres_processes) = procfs::ticks_of_comm(&cli.postgres_pid_pattern)?;
        let (redis, redis_processes) = procfs::ticks_of_comm(&cli.redis_pid_pattern)?;
        Ok(Self {
            server,
            postgres: (postgres_processes > 0).then_some(postgres),
            redis: (redis_processes > 0).then_some(redis),
            loadgen: procfs::process_ticks(std::process::id())?,
            machine: procfs::machine_ticks()?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("x").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}

//! The mixed load of the fault runs (`scripts/faults`): each worker cycles a whole login
//! (authorize → password → code → tokens), a refresh of its own chain, a
//! `client_credentials` grant and a recovery of its own account (« Mot de passe oublié? » up to
//! the new-password page); the messaging correspondents (`mixed_messaging.rs`) send
//! messages with files, reads and downloads beside them; every answer goes to a timeline (`--timeline FILE`, CSV:
//! Unix time in ms, operation, outcome) for the report to cut around each fault.
//!
//! At the end it checks that no committed write was lost: each worker's chain is refreshed
//! once more, and must work — unless the last rotation's answer was lost (a 5xx, a timeout, a
//! dropped connection), when the rotation may have been committed unseen; the retry with the
//! old token is then a reuse, and the rules revoke the family (RFC 9700 §4.14.2): revoked by
//! the rules, not lost. A refresh refused with no lost answer before it is a lost write.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

use crate::flows::Target;
use crate::mixed_messaging::{Correspondent, MessagingSummary};
use crate::recovery;

/// One answer: when (Unix ms), which operation, what came back (`ok`, a status, `timeout`,
/// `connect`, `other`).
pub(crate) type Event = (u128, &'static str, String);

/// What the run found, printed as one JSON line.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Operations answered.
    pub operations: usize,
    /// … of which failed.
    pub failed: usize,
    /// Chains checked at the end.
    pub chains: usize,
    /// … that still refresh.
    pub chains_valid: usize,
    /// … revoked by the reuse rule after a lost answer.
    pub chains_revoked_by_rule: usize,
    /// … whose check itself failed (the service still down): neither valid nor lost.
    pub chains_unchecked: usize,
    /// Refresh tokens refused with no lost answer before: committed writes lost.
    pub writes_lost: usize,
    /// The messaging correspondents' findings (zeros without `--messaging-workers`).
    #[serde(flatten)]
    pub messaging: MessagingSummary,
}

/// Who runs: idp workers (logins, refreshes, `client_credentials`, recoveries) and messaging
/// correspondents (the professional of the target).
#[derive(Debug, Clone)]
pub struct Crew {
    /// idp workers.
    pub workers: usize,
    /// The account each idp worker recovers (« Mot de passe oublié? »), by worker.
    pub recoveries: Vec<Arc<recovery::Account>>,
    /// Messaging correspondents.
    pub correspondents: usize,
}

struct Worker {
    http: reqwest::Client,
    /// The account this worker recovers, when the crew has one for it.
    account: Option<Arc<recovery::Account>>,
    chain: Option<String>,
    /// The last rotation's answer was lost: it may have been committed unseen.
    uncertain: bool,
    events: Vec<Event>,
    lost: usize,
    /// The failure kinds already logged.
    seen: std::collections::HashSet<String>,
}

pub(crate) fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The outcome class of a failure: the HTTP status the flow reported, or the transport's.
pub fn class(error: &anyhow::Error) -> String {
    if let Some(e) = error.downcast_ref::<reqwest::Error>() {
        return if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else {
            "io"
        }
        .into();
    }
    // The flows name a status as `503 Service Unavailable`: three digits, a space, a capital.
    let text = format!("{error:#}");
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(4))
        .filter(|&i| i == 0 || !bytes[i - 1].is_ascii_digit())
        .filter(|&i| bytes[i..i + 3].iter().all(u8::is_ascii_digit))
        .filter(|&i| bytes[i + 3] == b' ' && bytes.get(i + 4).is_some_and(u8::is_ascii_uppercase))
        .filter_map(|i| text[i..i + 3].parse::<u16>().ok())
        .find(|status| (400..600).contains(status))
        .map_or_else(|| "other".into(), |status| status.to_string())
}

impl Worker {
    async fn step(&mut self, target: &Target, i: u64) {
        let (op, result) = match i % 4 {
            0 => ("login", self.login(target).await),
            1 => ("refresh", self.refresh(target).await),
            2 if self.account.is_some() => ("recovery", self.recover(target).await),
            _ => (
                "client_credentials",
                target.client_credentials(&self.http).await.map(drop),
            ),
        };
        let outcome = match &result {
            Ok(()) => "ok".to_owned(),
            Err(e) => class(e),
        };
        // The first message of each kind of failure without a status, for the log.
        if let Err(e) = &result
            && matches!(outcome.as_str(), "other" | "io")
            && self.seen.insert(format!("{op} {outcome}"))
        {
            eprintln!("{op} {outcome}: {e:#}");
        }
        self.events.push((now_ms(), op, outcome));
        if result.is_err() {
            // Do not spin on a server that refuses at once.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// « Mot de passe oublié? » up to the new-password page (the password is left as it is).
    async fn recover(&mut self, target: &Target) -> anyhow::Result<()> {
        match &self.account {
            Some(account) => recovery::attempt(target, &self.http, account).await,
            None => Ok(()),
        }
    }

    async fn login(&mut self, target: &Target) -> anyhow::Result<()> {
        let token = target.login(&self.http).await?;
        if self.chain.is_none() {
            self.chain = Some(token);
            self.uncertain = false;
        }
        Ok(())
    }

    async fn refresh(&mut self, target: &Target) -> anyhow::Result<()> {
        let Some(current) = self.chain.clone() else {
            return self.login(target).await;
        };
        match target.refresh(&self.http, &current).await {
            Ok(next) => {
                self.chain = Some(next);
                self.uncertain = false;
                Ok(())
            }
            Err(e) => {
                let status = class(&e);
                if status == "400" {
                    if !self.uncertain {
                        self.lost += 1;
                        eprintln!("LOST: a refresh token refused with no lost answer before");
                    }
                    self.chain = None; // a new login starts a new chain
                } else {
                    self.uncertain = true;
                }
                Err(e)
            }
        }
    }
}

/// Runs `workers` for `duration`, writes the timeline, checks the chains.
pub async fn run(
    target: Arc<Target>,
    crew: &Crew,
    duration: Duration,
    timeline: &Path,
) -> anyhow::Result<Summary> {
    let deadline = tokio::time::Instant::now() + duration;
    let mut correspondents = Vec::new();
    for n in 0..crew.correspondents {
        let mut one = Correspondent::new(Arc::clone(&target), n)?;
        correspondents.push(tokio::spawn(async move {
            let mut i = n as u64;
            while tokio::time::Instant::now() < deadline {
                one.step(i).await;
                i += 1;
            }
            one
        }));
    }
    let mut tasks = Vec::new();
    for n in 0..crew.workers {
        let target = Arc::clone(&target);
        let mut worker = Worker {
            http: target.client()?,
            account: crew.recoveries.get(n).cloned(),
            chain: None,
            uncertain: false,
            events: Vec::new(),
            lost: 0,
            seen: std::collections::HashSet::new(),
        };
        tasks.push(tokio::spawn(async move {
            let mut i = n as u64; // the workers start at different steps
            while tokio::time::Instant::now() < deadline {
                worker.step(&target, i).await;
                i += 1;
            }
            worker
        }));
    }
    let mut summary = Summary::default();
    let mut events = Vec::new();
    for task in tasks {
        let mut worker = task.await.context("a worker panicked")?;
        summary.writes_lost += worker.lost;
        if let Some(chain) = worker.chain.take() {
            summary.chains += 1;
            match target.refresh(&worker.http, &chain).await {
                Ok(_) => summary.chains_valid += 1,
                Err(e) if class(&e) == "400" && worker.uncertain => {
                    summary.chains_revoked_by_rule += 1;
                }
                Err(e) if class(&e) == "400" => {
                    summary.writes_lost += 1;
                    eprintln!("LOST: the chain's last refresh token is refused: {e:#}");
                }
                Err(e) => {
                    summary.chains_unchecked += 1;
                    eprintln!("the chain's last refresh could not be checked: {e:#}");
                }
            }
        }
        events.append(&mut worker.events);
    }
    for one in correspondents {
        let one = one.await.context("a correspondent panicked")?;
        events.append(&mut one.check(&mut summary.messaging).await);
    }
    summary.writes_lost += summary.messaging.messages_lost + summary.messaging.files_lost;
    events.sort();
    summary.operations = events.len();
    summary.failed = events.iter().filter(|(_, _, o)| o != "ok").count();
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(timeline)
            .with_context(|| format!("cannot write --timeline {}", timeline.display()))?,
    );
    writeln!(out, "unix_ms,operation,outcome")?;
    for (at, op, outcome) in &events {
        writeln!(out, "{at},{op},{outcome}")?;
    }
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_classed_by_the_status_its_message_names() {
        let refused = anyhow::anyhow!("POST /token: 503 Service Unavailable (after 1200 ms)");
        assert_eq!(class(&refused), "503");
        let bad = anyhow::anyhow!("token: 400 Bad Request {{\"error\":\"invalid_grant\"}}");
        assert_eq!(class(&bad), "400");
        assert_eq!(class(&anyhow::anyhow!("login: no code in 2026")), "other");
        let slow = anyhow::anyhow!("token: took 412 ms, then 503 Service Unavailable");
        assert_eq!(class(&slow), "503", "a duration is no status");
    }
}

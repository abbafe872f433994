//! The outbox worker: every `mail.poll_ms` it claims due messages, renders and sends each, and
//! marks it sent or schedules the next attempt (`retry_base_secs` × 2^(attempt − 1), at most an
//! hour). Every node runs one; the claim (`store::outbox::claim`) keeps two nodes from sending
//! the same message. Logs name a message by id and kind only: never an address or a link.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::render::render;
use super::transport::{Mailer, SendError};
use crate::config::AssistanceCentre;
use crate::config::MailConfig;
use crate::i18n::Lang;
use crate::store::{StoreError, outbox};

/// Messages claimed at once.
const BATCH: i64 = 5;

/// Longest wait between attempts.
const MAX_BACKOFF_SECS: u64 = 3600;

/// One send may take this long before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a claimed message stays hidden from other workers: longer than a whole batch can
/// take (`BATCH` × `SEND_TIMEOUT`), so a live worker never loses its claim.
const LEASE: Duration = Duration::from_secs(600);

/// Longest a failure message kept in `last_error`.
const MAX_ERROR_CHARS: usize = 500;

/// The worker of one node, built at start-up and run by `Application::run_until_stopped`.
#[derive(Debug)]
pub struct Worker {
    db: Pool,
    assistance: Vec<AssistanceCentre>,
    mailer: Mailer,
    poll: Duration,
    retry_base_secs: u64,
    max_attempts: i32,
}

/// A running worker; dropping it stops it too, at its next poll.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Builds the SMTP transport of `[mail]` (failing on a bad `from` or password file);
    /// `assistance` is every help line, of which each e-mail gives its recipient's.
    pub fn new(
        db: Pool,
        config: &MailConfig,
        assistance: Vec<AssistanceCentre>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            assistance,
            mailer: super::transport::mailer(config)?,
            poll: Duration::from_millis(config.poll_ms),
            retry_base_secs: config.retry_base_secs,
            max_attempts: config.max_attempts,
        })
    }

    /// Starts polling on the current Tokio runtime.
    pub fn spawn(self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(self.run(stopped));
        Running { stop, task }
    }

    /// Delivers what is due, one batch at a time; the number of messages attempted.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let db = self.db.get().await?;
        outbox::forget_stranded_links(&db, self.max_attempts).await?;
        let claimed = outbox::claim(&db, BATCH, self.max_attempts, LEASE.as_secs_f64()).await?;
        let count = claimed.len();
        for message in claimed {
            self.deliver(&db, message).await?;
        }
        Ok(count)
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            let full = match self.deliver_due().await {
                Ok(count) => count as i64 == BATCH,
                Err(e) => {
                    tracing::warn!(error = %crate::error::Chain(&e), "mail: cannot read the outbox");
                    false
                }
            };
            if *stopped.borrow() {
                return;
            }
            // A full batch suggests more is due: go on at once.
            if full {
                continue;
            }
            tokio::select! {
                changed = stopped.changed() => {
                    // Stopped, or the handle was dropped.
                    if changed.is_err() || *stopped.borrow() {
                        return;
                    }
                }
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Sends one claimed message and records the outcome.
    async fn deliver(
        &self,
        db: &impl deadpool_postgres::GenericClient,
        message: outbox::Claimed,
    ) -> Result<(), StoreError> {
        let kind = message.notice["kind"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        let failure = match self.send(&message).await {
            Ok(()) => {
                outbox::mark_sent(db, message.id).await?;
                metrics::counter!("mail_sent_total", "kind" => kind).increment(1);
                return Ok(());
            }
            Err(failure) => failure,
        };
        let (id, attempt) = (message.id, message.attempts);
        let error = truncate(&failure.reason);
        metrics::counter!("mail_failed_total", "kind" => kind.clone()).increment(1);
        if failure.permanent || attempt >= self.max_attempts {
            tracing::error!(%id, kind, attempt, error, "mail: delivery abandoned");
            return outbox::give_up(db, id, &error, self.max_attempts).await;
        }
        let retry_secs = backoff_secs(self.retry_base_secs, attempt);
        tracing::warn!(%id, kind, attempt, error, retry_secs, "mail: delivery failed, will retry");
        outbox::mark_failed(db, id, &error, retry_secs as f64).await
    }

    async fn send(&self, message: &outbox::Claimed) -> Result<(), Failure> {
        // serde's message may quote a value (a link): say only that the notice is unreadable.
        let (notice, audience) = super::read_queued(message.notice.clone())
            .map_err(|_| Failure::permanent("the notice does not decode".to_owned()))?;
        let lang = Lang::from_tag(&message.locale).unwrap_or_default();
        let lines = audience.centres(&self.assistance);
        let mail = render(&notice, lang, &message.recipient_name, &lines)
            .map_err(|e| Failure::permanent(format!("render: {e}")))?;
        let sent = tokio::time::timeout(SEND_TIMEOUT, self.mailer.send(&message.recipient, mail))
            .await
            .map_err(|_| Failure::retry("smtp: no answer in time".to_owned()))?;
        // Every relay error is retried, 5xx included (RFC 5321 §4.2.1 would give up): a relay
        // refusing everything is usually misconfigured, and its fix must find the notices
        // still there. `max_attempts` bounds the retries.
        sent.map_err(|e| match e {
            SendError::Message(_) => Failure::permanent(e.to_string()),
            SendError::Smtp(_) => Failure::retry(e.to_string()),
        })
    }
}

impl Running {
    /// Stops polling and waits for the batch in hand (up to 10 s; after that, its messages go
    /// back to the outbox when their lease ends).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

/// Why an attempt failed, and whether another could succeed.
struct Failure {
    reason: String,
    permanent: bool,
}

impl Failure {
    fn retry(reason: String) -> Self {
        Self {
            reason,
            permanent: false,
        }
    }

    fn permanent(reason: String) -> Self {
        Self {
            reason,
            permanent: true,
        }
    }
}

/// The wait after the `attempt`-th failure: `base`, then doubling, at most an hour.
fn backoff_secs(base: u64, attempt: i32) -> u64 {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF_SECS)
}

fn truncate(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_an_hour() {
        let cases = [
            (5, 1, 5, "the first retry waits the base"),
            (5, 2, 10, "then doubles"),
            (5, 3, 20, "and doubles again"),
            (5, 10, 2560, "still under the cap"),
            (5, 11, 3600, "capped at an hour"),
            (5, 1000, 3600, "no overflow on a huge count"),
            (1, 0, 1, "a count of zero is treated as the first"),
        ];
        for (base, attempt, expected, why) in cases {
            assert_eq!(backoff_secs(base, attempt), expected, "{why}");
        }
    }

    #[test]
    fn a_long_error_is_cut() {
        let long = "é".repeat(2 * MAX_ERROR_CHARS);
        assert_eq!(truncate(&long).chars().count(), MAX_ERROR_CHARS);
    }
}

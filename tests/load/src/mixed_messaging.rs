//! The messaging half of the mixed load (`--messaging-workers N`): each correspondent is the
//! demo professional in a thread of their own, and cycles
//! - `send_message`: a small file uploaded, then a message carrying it;
//! - `send_text`: a message without a file;
//! - `read_thread`: the thread's first page (an access-journal entry);
//! - `download`: the last file sent, byte for byte (an access-journal entry).
//!
//! An agent's sign-in needs a second factor, which this load does not perform: the fault run
//! assigns each new thread to the demo agent itself, so that every message queues a notice.
//!
//! At the end every acknowledged message must be in the thread and every acknowledged file
//! must download with the bytes sent: what the service said it kept and cannot show is a lost
//! write. Each read and download answered 200 counts as an access-journal entry the service
//! must have written (`journal_expected`; `scripts/faults` counts the rows).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use crate::flows::Target;
use crate::messaging::{self, Sent};
use crate::mixed::{Event, class, now_ms};

/// An access token is used this long, then the account signs in again (tokens live 300 s).
const TOKEN_USE: Duration = Duration::from_secs(240);
/// Downloads in flight during the end-of-run check.
const CHECK_DOWNLOADS: usize = 8;
/// Downloads per access token during the check (each batch takes a token young enough).
const CHECK_BATCH: usize = 500;
/// The file each message carries (text/plain, about 8 KiB).
const FILE_LINE: &str = "Pièce justificative de la demande de paiement.\n";

/// What the messaging correspondents found.
#[derive(Debug, Default, serde::Serialize)]
pub struct MessagingSummary {
    /// Messages the service acknowledged (201).
    pub messages_acknowledged: usize,
    /// … of which the thread does not show: committed writes lost.
    pub messages_lost: usize,
    /// Files acknowledged with their message.
    pub files_acknowledged: usize,
    /// … that do not download with the bytes sent: committed writes lost.
    pub files_lost: usize,
    /// Threads whose check itself failed (the service still down): neither kept nor lost.
    pub threads_unchecked: usize,
    /// Reads and downloads answered 200: the access-journal entries the service wrote.
    pub journal_expected: usize,
}

/// An account's access token, signed in again when old or refused.
struct Bearer {
    target: Target,
    token: Option<(String, Instant)>,
}

impl Bearer {
    async fn get(&mut self, http: &reqwest::Client) -> anyhow::Result<String> {
        if let Some((token, at)) = &self.token
            && at.elapsed() < TOKEN_USE
        {
            return Ok(token.clone());
        }
        let token = self.target.login_access_token(http).await?;
        self.token = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    /// Forgets the token when `result` says it was refused (401).
    fn check<T>(&mut self, result: &anyhow::Result<T>) {
        if let Err(e) = result
            && class(e) == "401"
        {
            self.token = None;
        }
    }
}

/// One correspondent.
pub struct Correspondent {
    http: reqwest::Client,
    target: Arc<Target>,
    professional: Bearer,
    thread: Option<String>,
    messages: Vec<String>,
    files: Vec<Sent>,
    journal_expected: usize,
    n: usize,
    pub(crate) events: Vec<Event>,
    /// The failure kinds already logged.
    seen: HashSet<String>,
}

impl Correspondent {
    /// A correspondent: the professional of `target`.
    pub fn new(target: Arc<Target>, n: usize) -> anyhow::Result<Self> {
        Ok(Self {
            http: target.client()?,
            professional: Bearer {
                target: (*target).clone(),
                token: None,
            },
            target,
            thread: None,
            messages: Vec::new(),
            files: Vec::new(),
            journal_expected: 0,
            n,
            events: Vec::new(),
            seen: HashSet::new(),
        })
    }

    /// One operation, chosen by `i`; its answer goes to the timeline.
    pub async fn step(&mut self, i: u64) {
        let (op, result) = match (&self.thread, i % 4) {
            (None, _) => ("open_thread", self.open().await),
            (Some(_), 0) => ("send_message", self.send(i).await),
            (Some(_), 1) => ("send_text", self.send_text(i).await),
            (Some(_), 2) => ("read_thread", self.read().await),
            (Some(_), _) => ("download", self.download().await),
        };
        let outcome = match &result {
            Ok(()) => "ok".to_owned(),
            Err(e) => class(e),
        };
        // The first message of each kind of failure, for the log.
        if let Err(e) = &result
            && self.seen.insert(format!("{op} {outcome}"))
        {
            eprintln!("{op} {outcome}: {e:#}");
        }
        self.events.push((now_ms(), op, outcome));
        if result.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Opens the thread.
    async fn open(&mut self) -> anyhow::Result<()> {
        let base = &self.target.messaging_base;
        let token = self.professional.get(&self.http).await?;
        let opened = messaging::open_thread(&self.http, base, &token).await;
        self.professional.check(&opened);
        self.thread = Some(opened?);
        Ok(())
    }

    fn thread(&self) -> anyhow::Result<String> {
        self.thread
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no thread yet"))
    }

    async fn send(&mut self, i: u64) -> anyhow::Result<()> {
        let thread = self.thread()?;
        let base = &self.target.messaging_base;
        let token = self.professional.get(&self.http).await?;
        let file = format!("{}-{i}\n{}", self.n, FILE_LINE.repeat(170)).into_bytes();
        let name = format!("piece-{}-{i}.txt", self.n);
        let uploaded = messaging::upload(&self.http, base, &token, &thread, &name, file).await;
        self.professional.check(&uploaded);
        let sent = uploaded?;
        let body = format!("Message {i} du correspondant {}.", self.n);
        let posted = messaging::post(
            &self.http,
            base,
            &token,
            &thread,
            &body,
            std::slice::from_ref(&sent.id),
        )
        .await;
        self.professional.check(&posted);
        self.messages.push(posted?);
        self.files.push(sent);
        Ok(())
    }

    async fn send_text(&mut self, i: u64) -> anyhow::Result<()> {
        let thread = self.thread()?;
        let token = self.professional.get(&self.http).await?;
        let body = format!("Précision {i} du correspondant {}.", self.n);
        let base = &self.target.messaging_base;
        let posted = messaging::post(&self.http, base, &token, &thread, &body, &[]).await;
        self.professional.check(&posted);
        self.messages.push(posted?);
        Ok(())
    }

    async fn read(&mut self) -> anyhow::Result<()> {
        let thread = self.thread()?;
        let token = self.professional.get(&self.http).await?;
        let base = &self.target.messaging_base;
        let page = messaging::thread_page(&self.http, base, &token, &thread, None).await;
        self.professional.check(&page);
        page?;
        self.journal_expected += 1;
        Ok(())
    }

    async fn download(&mut self) -> anyhow::Result<()> {
        let thread = self.thread()?;
        let Some(sent) = self.files.last().cloned() else {
            return self.read().await;
        };
        let token = self.professional.get(&self.http).await?;
        let base = &self.target.messaging_base;
        let got = messaging::download(&self.http, base, &token, &thread, &sent).await;
        self.professional.check(&got);
        got?;
        self.journal_expected += 1;
        Ok(())
    }

    /// Checks that every acknowledged message and file is there; adds to `summary`.
    pub async fn check(mut self, summary: &mut MessagingSummary) -> Vec<Event> {
        summary.messages_acknowledged += self.messages.len();
        summary.files_acknowledged += self.files.len();
        if let Some(thread) = self.thread.clone() {
            match self.check_thread(&thread, summary).await {
                Ok(()) => {}
                Err(e) => {
                    summary.threads_unchecked += 1;
                    eprintln!("thread {thread} could not be checked: {e:#}");
                }
            }
        }
        summary.journal_expected += self.journal_expected;
        self.events
    }

    async fn check_thread(
        &mut self,
        thread: &str,
        summary: &mut MessagingSummary,
    ) -> anyhow::Result<()> {
        let base = self.target.messaging_base.clone();
        let (mut shown, mut cursor) = (HashSet::new(), None);
        loop {
            // A token per page: a long check outlives one (they live 300 s).
            let token = self.professional.get(&self.http).await?;
            let (ids, next) =
                messaging::thread_page(&self.http, &base, &token, thread, cursor.as_deref())
                    .await?;
            self.journal_expected += 1;
            shown.extend(ids);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        for id in self.messages.iter().filter(|id| !shown.contains(*id)) {
            summary.messages_lost += 1;
            eprintln!("LOST: message {id} was acknowledged and is not in its thread");
        }
        // The files, CHECK_DOWNLOADS at a time, each batch with a fresh-enough token. Only a
        // 404 (not there) or other bytes is a loss; anything else leaves the thread unchecked.
        for batch in self.files.chunks(CHECK_BATCH) {
            let token = self.professional.get(&self.http).await?;
            let results: Vec<_> = futures_util::stream::iter(batch)
                .map(|sent| {
                    let (http, base, token) = (&self.http, &base, &token);
                    async move {
                        let got = messaging::download(http, base, token, thread, sent).await;
                        (sent, got)
                    }
                })
                .buffer_unordered(CHECK_DOWNLOADS)
                .collect()
                .await;
            for (sent, got) in results {
                match got {
                    Ok(()) => self.journal_expected += 1,
                    Err(e) if class(&e) == "404" || e.to_string().contains("other bytes") => {
                        summary.files_lost += 1;
                        eprintln!("LOST: file {} was acknowledged: {e:#}", sent.id);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}

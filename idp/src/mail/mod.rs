//! Outgoing e-mail. A change that must be reported writes its notice to the `outbox` table in
//! its own transaction (`enqueue`); the worker (`worker.rs`) renders it in the recipient's
//! language (`render.rs`, plain text and HTML) and delivers it over SMTP with lettre
//! (`transport.rs`), retrying with backoff, so an SMTP outage loses no notification.

mod notice;

use serde::Deserialize;

pub use notice::{Notice, Recipient};

use crate::store::{GenericClient, StoreError, outbox};

/// `[mail]` in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// SMTP relay host.
    pub smtp_host: String,
    /// SMTP relay port.
    pub smtp_port: u16,
    /// How the connection to the relay is protected.
    pub security: SmtpSecurity,
    /// SMTP user, when the relay asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// SMTP password.
    #[serde(default)]
    pub password: Option<secrecy::SecretString>,
    /// File holding the SMTP password.
    #[serde(default)]
    pub password_file: Option<std::path::PathBuf>,
    /// The `From:` mailbox.
    pub from: String,
    /// How often the worker looks for due messages, in milliseconds.
    pub poll_ms: u64,
    /// First retry delay after a failed delivery; doubles each time, up to an hour.
    pub retry_base_secs: u64,
    /// Attempts before a message is left marked failed.
    pub max_attempts: i32,
    /// Life of an e-mailed link proving ownership of an alias.
    pub proof_ttl_secs: u64,
}

/// Transport security to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on the same host or a test sink.
    None,
    /// SMTP, upgraded with STARTTLS (required).
    Starttls,
    /// SMTP inside TLS from the first byte (SMTPS).
    Tls,
}

/// Puts a notice in the outbox, in the caller's transaction: it is sent if and only if the
/// change it reports commits.
pub async fn enqueue(
    client: &impl GenericClient,
    to: &Recipient,
    notice: &Notice,
) -> Result<(), StoreError> {
    let notice = serde_json::to_value(notice).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    outbox::insert(client, &to.address, to.lang.tag(), &to.name, &notice).await
}

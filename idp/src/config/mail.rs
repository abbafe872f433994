//! `[mail]`: the SMTP relay and the outbox worker.

use serde::Deserialize;

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

impl MailConfig {
    /// The rules `Config::check` applies to `[mail]`: the offending key and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.smtp_host.trim().is_empty() {
            return Err(("mail.smtp_host", "must not be empty".into()));
        }
        if self.smtp_port == 0 {
            return Err(("mail.smtp_port", "must be a port number".into()));
        }
        if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            return Err(("mail.from", format!("not a mailbox: {e}")));
        }
        if self.poll_ms == 0 {
            return Err(("mail.poll_ms", "must be at least 1".into()));
        }
        if self.retry_base_secs == 0 {
            return Err(("mail.retry_base_secs", "must be at least 1".into()));
        }
        if self.max_attempts < 1 {
            return Err(("mail.max_attempts", "must be at least 1".into()));
        }
        if self.proof_ttl_secs == 0 {
            return Err(("mail.proof_ttl_secs", "must be at least 1".into()));
        }
        if self.username.is_some() && self.password.is_none() && self.password_file.is_none() {
            return Err((
                "mail.password",
                "missing for mail.username: set it or its _file".into(),
            ));
        }
        if self.username.is_none() && (self.password.is_some() || self.password_file.is_some()) {
            return Err((
                "mail.username",
                "missing: a password is set without a user".into(),
            ));
        }
        Ok(())
    }
}

pub use service_kit::mail::SmtpSecurity;

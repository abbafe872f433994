//! Outgoing e-mail. A change that must be reported writes its notice to the `outbox` table in
//! its own transaction (`enqueue`); the worker (`worker.rs`) renders it in the recipient's
//! language (`render.rs`, plain text and HTML) and delivers it over SMTP with lettre
//! (`transport.rs`), retrying with backoff, so an SMTP outage loses no notification.

mod notice;
pub mod render;
pub mod transport;
pub mod worker;

use serde::Deserialize;

pub use notice::{Notice, Recipient};
pub use render::{Rendered, render};
pub use worker::{Running, Worker};

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

/// The member of an outbox row's notice that says whose help lines the e-mail gives.
const AUDIENCE: &str = "audience";

/// Puts a notice in the outbox, in the caller's transaction: it is sent if and only if the
/// change it reports commits.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn enqueue(
    client: &impl GenericClient,
    to: &Recipient,
    notice: &Notice,
) -> Result<(), StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.into());
    let mut value = serde_json::to_value(notice).map_err(corrupt)?;
    if let Some(members) = value.as_object_mut() {
        members.insert(
            AUDIENCE.to_owned(),
            serde_json::to_value(&to.audience).map_err(corrupt)?,
        );
    }
    outbox::insert(client, &to.address, to.lang.tag(), &to.name, &value).await
}

/// Splits an outbox row's notice into the notice and its audience (none in rows written
/// before audiences were: every help line).
pub fn read_queued(
    mut value: serde_json::Value,
) -> Result<(Notice, crate::assistance::Audience), serde_json::Error> {
    let audience = value
        .as_object_mut()
        .and_then(|members| members.remove(AUDIENCE))
        .map(serde_json::from_value)
        .transpose()?
        .unwrap_or_default();
    Ok((serde_json::from_value(value)?, audience))
}

#[cfg(test)]
mod tests {
    use figment::providers::Serialized;

    use crate::config::Config;

    fn load(key: &str, value: serde_json::Value) -> Result<Config, String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        Config::from_figment(Config::figment(&dir, "test").merge(Serialized::default(key, value)))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn nonsense_mail_settings_stop_the_start_up_with_the_key_named() {
        use serde_json::json;
        // (key set, value, key named in the error, why)
        let cases = [
            (
                "mail.poll_ms",
                json!(0),
                "mail.poll_ms",
                "a worker that never waits",
            ),
            (
                "mail.max_attempts",
                json!(0),
                "mail.max_attempts",
                "a message never tried",
            ),
            (
                "mail.retry_base_secs",
                json!(0),
                "mail.retry_base_secs",
                "retries without pause",
            ),
            (
                "mail.from",
                json!("not a mailbox"),
                "mail.from",
                "an unusable From",
            ),
            (
                "mail.username",
                json!("idp"),
                "mail.password",
                "a user without a password",
            ),
        ];
        for (key, value, named, why) in cases {
            let error = load(key, value).expect_err(why);
            assert!(error.contains(named), "{why}: {error}");
        }
        assert!(
            load("mail.poll_ms", json!(100)).is_ok(),
            "a sane value loads"
        );
    }
}

//! SMTP with lettre: a pooled async transport over rustls (aws-lc-rs, webpki roots; never
//! OpenSSL), and the multipart/alternative messages it carries.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::ExposeSecret as _;

use super::render::Rendered;
use crate::config::{MailConfig, SmtpSecurity};

/// How long one SMTP command may wait for the relay: a dead relay fails fast and the message
/// goes back to the outbox for a later attempt.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection to the relay and the sender's address.
#[derive(Debug, Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why a message did not leave.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message could not be built (a bad recipient address): retrying will not help.
    #[error("message: {0}")]
    Message(String),
    /// The relay refused the message or could not be reached.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    /// Builds the transport of `[mail]`: `none` is plain SMTP, `starttls` requires the upgrade
    /// (RFC 3207; no fallback to plain text), `tls` is TLS from the first byte (RFC 8314 §3.3).
    /// Reads `password_file` now, so a missing file stops the start-up.
    pub fn new(config: &MailConfig) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("configuration key `mail.from`: {e}"))?;
        let host = config.smtp_host.as_str();
        let builder = match config.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| anyhow::anyhow!("configuration key `mail.smtp_host`: {e}"))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| anyhow::anyhow!("configuration key `mail.smtp_host`: {e}"))?,
        };
        let mut builder = builder
            .port(config.smtp_port)
            .timeout(Some(COMMAND_TIMEOUT));
        if let Some(credentials) = credentials(config)? {
            builder = builder.credentials(credentials);
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `mail` to `to`.
    pub async fn send(&self, to: &str, mail: Rendered) -> Result<(), SendError> {
        let message = message(&self.from, to, mail)?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// A multipart/alternative message (text first, then HTML: RFC 2046 §5.1.4 puts the preferred
/// form last), marked as automatic so that no auto-responder answers it (RFC 3834 §5).
pub fn message(from: &Mailbox, to: &str, mail: Rendered) -> Result<Message, SendError> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| SendError::Message(format!("recipient address: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(None)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
        .map_err(|e| SendError::Message(e.to_string()))
}

/// The relay's credentials, when a user is configured (the password inline or in a file).
fn credentials(config: &MailConfig) -> anyhow::Result<Option<Credentials>> {
    let Some(username) = &config.username else {
        return Ok(None);
    };
    let password = match (&config.password, &config.password_file) {
        (Some(password), _) => password.expose_secret().to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| {
                anyhow::anyhow!(
                    "configuration key `mail.password_file`: cannot read {}: {e}",
                    path.display()
                )
            })?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
        (None, None) => {
            anyhow::bail!("configuration key `mail.password`: missing: set it or its _file")
        }
    };
    Ok(Some(Credentials::new(username.clone(), password)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::i18n::Lang;
    use crate::mail::{Notice, render::render};

    #[test]
    fn a_message_has_both_parts_and_says_it_is_automatic() {
        let from: Mailbox = "Services en ligne <ne-pas-repondre@example.org>"
            .parse()
            .unwrap();
        let mail = render(&Notice::PasswordChanged, Lang::Fr, "Marie Tremblay", &[]).unwrap();
        let message = message(&from, "marie@example.org", mail).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("To: marie@example.org"), "{raw}");
        assert!(raw.contains("Message-ID: <"), "{raw}");
    }

    #[test]
    fn a_bad_recipient_is_a_message_error_not_a_relay_error() {
        let from: Mailbox = "idp@example.org".parse().unwrap();
        let mail = render(&Notice::PasswordChanged, Lang::Fr, "Marie Tremblay", &[]).unwrap();
        let error = message(&from, "not an address", mail).unwrap_err();
        assert!(matches!(error, SendError::Message(_)), "{error}");
    }
}

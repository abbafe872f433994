//! SMTP with lettre for both services: a pooled async transport over rustls (aws-lc-rs,
//! webpki roots; never OpenSSL), and the multipart/alternative messages it carries.

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use serde::Deserialize;

/// How long one SMTP command may wait for the relay: a dead relay fails fast and the message
/// goes back to its outbox for a later attempt.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Where the relay is and how to reach it.
#[derive(Debug, Clone)]
pub struct Relay<'a> {
    /// Host.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// User and password, when the relay asks for them.
    pub credentials: Option<(String, String)>,
}

/// A message: subject, text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The `Subject:` line.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
}

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
    /// Builds the transport: `none` is plain SMTP, `starttls` requires the upgrade (RFC 3207;
    /// no fallback to plain text), `tls` is TLS from the first byte (RFC 8314 §3.3). `section`
    /// names the configuration section in errors (`mail`).
    pub fn new(relay: Relay<'_>, from: &str, section: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("configuration key `{section}.from`: {e}"))?;
        let host = relay.host;
        let builder = match relay.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| anyhow::anyhow!("configuration key `{section}.smtp_host`: {e}"))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| anyhow::anyhow!("configuration key `{section}.smtp_host`: {e}"))?,
        };
        let mut builder = builder.port(relay.port).timeout(Some(COMMAND_TIMEOUT));
        if let Some((user, password)) = relay.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `mail` to `to` under a new Message-ID.
    pub async fn send(&self, to: &str, mail: Email) -> Result<(), SendError> {
        let message = message(&self.from, to, mail, None)?;
        self.transport.send(message).await?;
        Ok(())
    }

    /// Sends `mail` to `to` under `message_id` (`<local@domain>`, RFC 5322 §3.6.4): an outbox
    /// that resends after losing track of a send (the relay took it, the commit failed) sends
    /// the same Message-ID again, so the copy can be recognised as one message.
    pub async fn send_with_id(
        &self,
        to: &str,
        mail: Email,
        message_id: &str,
    ) -> Result<(), SendError> {
        let message = message(&self.from, to, mail, Some(message_id))?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// A multipart/alternative message (text first, then HTML: RFC 2046 §5.1.4 puts the preferred
/// form last), marked as automatic so that no auto-responder answers it (RFC 3834 §5).
/// `message_id`: the Message-ID to give it; `None` makes a new one.
pub fn message(
    from: &Mailbox,
    to: &str,
    mail: Email,
    message_id: Option<&str>,
) -> Result<Message, SendError> {
    let to: Mailbox = to
        .parse()
        .map_err(|e| SendError::Message(format!("recipient address: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(message_id.map(str::to_owned))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
        .map_err(|e| SendError::Message(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn mail() -> Email {
        Email {
            subject: "Votre mot de passe a été changé".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
        }
    }

    #[test]
    fn a_message_has_both_parts_and_says_it_is_automatic() {
        let from: Mailbox = "Services en ligne <ne-pas-repondre@example.org>"
            .parse()
            .unwrap();
        let message = message(&from, "marie@example.org", mail(), None).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("To: marie@example.org"), "{raw}");
        assert!(raw.contains("Message-ID: <"), "{raw}");
    }

    #[test]
    fn a_message_id_given_is_the_one_sent() {
        let from: Mailbox = "idp@example.org".parse().unwrap();
        let id = "<notice-0193@messagerie.example>";
        let message = message(&from, "marie@example.org", mail(), Some(id)).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
    }

    #[test]
    fn a_bad_recipient_is_a_message_error_not_a_relay_error() {
        let from: Mailbox = "idp@example.org".parse().unwrap();
        let error = message(&from, "not an address", mail(), None).unwrap_err();
        assert!(matches!(error, SendError::Message(_)), "{error}");
    }
}

//! The idp's SMTP transport: the kit's (`service_kit::mail`), configured from `[mail]`.

use secrecy::ExposeSecret as _;

pub use service_kit::mail::{Mailer, SendError};

use crate::config::MailConfig;

/// Builds the transport of `[mail]`. Reads `password_file` now, so a missing file stops the
/// start-up.
pub fn mailer(config: &MailConfig) -> anyhow::Result<Mailer> {
    let relay = service_kit::mail::Relay {
        host: &config.smtp_host,
        port: config.smtp_port,
        security: config.security,
        credentials: credentials(config)?,
    };
    Mailer::new(relay, &config.from, "mail")
}

/// The relay's credentials, when a user is configured (the password inline or in a file).
fn credentials(config: &MailConfig) -> anyhow::Result<Option<(String, String)>> {
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
    Ok(Some((username.clone(), password)))
}

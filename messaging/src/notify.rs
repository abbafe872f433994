//! Content-free e-mail notices: « Vous avez un nouveau message dans votre messagerie
//! sécurisée » and a link — never the subject, the sender or the body — in the person's
//! language, at most one per person per `mail.notify_interval_secs`. A message's transaction
//! queues them (`store::notifications::enqueue`); this worker sends what is due, each person
//! locked while their e-mail goes (`SKIP LOCKED`: two nodes never send the same one), and
//! retries with doubling delays. A notice is named (Message-ID) after the oldest notice it
//! covers: when the relay took it but the commit that records it failed, the resend carries
//! the same Message-ID — sent at least once, recognisable as one.

use std::time::Duration;

use service_kit::mail::{Email, Mailer};

use crate::state::AppState;
use crate::store::notifications;

/// The notice in `locale` with a link to `url`.
pub fn notice(locale: &str, url: &str) -> Email {
    if locale.starts_with("en") {
        Email {
            subject: "New message in your secure messaging".into(),
            text: format!(
                "Hello,\n\nYou have a new message in your secure messaging.\n\nRead it here: {url}\n\n\
                 This is an automatic notice: do not reply. You can turn these notices off in secure messaging.\n"
            ),
            html: format!(
                "<p>Hello,</p><p>You have a new message in your secure messaging.</p>\
                 <p><a href=\"{url}\">Read it in secure messaging</a></p>\
                 <p>This is an automatic notice: do not reply. You can turn these notices off in secure messaging.</p>"
            ),
        }
    } else {
        Email {
            subject: "Nouveau message dans votre messagerie sécurisée".into(),
            text: format!(
                "Bonjour,\n\nVous avez un nouveau message dans votre messagerie sécurisée.\n\nPour le lire : {url}\n\n\
                 Ceci est un avis automatique : n'y répondez pas. Vous pouvez désactiver ces avis dans la messagerie sécurisée.\n"
            ),
            html: format!(
                "<p>Bonjour,</p><p>Vous avez un nouveau message dans votre messagerie sécurisée.</p>\
                 <p><a href=\"{url}\">Lire le message dans la messagerie sécurisée</a></p>\
                 <p>Ceci est un avis automatique : n'y répondez pas. Vous pouvez désactiver ces avis dans la messagerie sécurisée.</p>"
            ),
        }
    }
}

/// Starts the worker.
pub fn start(app: AppState) -> anyhow::Result<()> {
    let config = &app.config.mail;
    let password = match &config.password_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| {
                    anyhow::anyhow!(
                        "configuration key `mail.password_file`: {}: {e}",
                        path.display()
                    )
                })?
                .trim_end_matches(['\r', '\n'])
                .to_owned(),
        ),
        None => None,
    };
    let relay = service_kit::mail::Relay {
        host: &config.smtp_host,
        port: config.smtp_port,
        security: config.security,
        credentials: config.username.clone().zip(password),
    };
    let mailer = Mailer::new(relay, &config.from, "mail")?;
    tokio::spawn(async move {
        let poll = Duration::from_millis(app.config.mail.poll_ms);
        loop {
            if let Err(e) = round(&app, &mailer).await {
                tracing::warn!(error = %crate::error::Chain(&e), "notice round failed");
            }
            tokio::time::sleep(poll).await;
        }
    });
    Ok(())
}

/// Sends what is due now; returns how many e-mails left.
pub async fn round(app: &AppState, mailer: &Mailer) -> Result<u64, crate::store::StoreError> {
    let config = &app.config.mail;
    let interval = config.notify_interval_secs as f64;
    let due = {
        let db = app.db.get().await?;
        notifications::due_recipients(&db, interval, config.max_attempts, 50).await?
    };
    let url = app.config.server.public_url.to_string();
    // The domain of the notices' Message-IDs (RFC 5322 §3.6.4: unique left of the `@`).
    let domain = app
        .config
        .server
        .public_url
        .host_str()
        .unwrap_or("localhost");
    let mut sent = 0;
    for sub in due {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        let Some(recipient) = notifications::lock_recipient(&tx, &sub).await? else {
            // Locked by another node (it sends), or someone messaging never met: then no
            // address will ever come, and the notices are given up rather than retried.
            if crate::store::people::by_sub(&tx, &sub).await?.is_none() {
                notifications::mark_sent(&tx, &sub, Some("unknown person")).await?;
                tx.commit().await?;
            }
            continue;
        };
        let within_interval = recipient.last_notified_at.is_some_and(|at| {
            (chrono::Utc::now() - at).num_milliseconds() < (interval * 1000.0) as i64
        });
        if within_interval {
            continue;
        }
        let Some(email) = recipient.email else {
            notifications::mark_sent(&tx, &sub, Some("no address from the idp")).await?;
            tx.commit().await?;
            continue;
        };
        let Some(first) = recipient.first_waiting else {
            continue; // sent by another node since the list was read
        };
        let message_id = format!("<notice-{first}@{domain}>");
        match mailer
            .send_with_id(&email, notice(&recipient.locale, &url), &message_id)
            .await
        {
            Ok(()) => {
                notifications::mark_sent(&tx, &sub, None).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, "notice not delivered; retried later");
                let retry = config.retry_base_secs as f64;
                notifications::mark_failed(&tx, &sub, &e.to_string(), retry).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}

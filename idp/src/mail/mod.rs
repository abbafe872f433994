//! Outgoing e-mail. A change that must be reported writes its notice to the `outbox` table in
//! its own transaction (`enqueue`); the worker (`worker.rs`) renders it in the recipient's
//! language (`render.rs`, plain text and HTML) and delivers it over SMTP with lettre
//! (`transport.rs`), retrying with backoff, so an SMTP outage loses no notification.

mod notice;
pub mod render;
pub mod transport;
pub mod worker;

pub use notice::{Notice, Recipient};
pub use render::{Rendered, render};
pub use worker::{Running, Worker};

use crate::store::{GenericClient, StoreError, outbox};

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

//! The notification outbox and preferences (migration V4).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GenericClient, RowExt as _, StoreError, sql};

/// Queues a notice for `sub` in the caller's transaction, unless they turned notices off.
pub async fn enqueue(client: &impl GenericClient, sub: &str) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO notifications (id, recipient_sub) SELECT $1, $2 \
                       WHERE NOT EXISTS (SELECT 1 FROM notification_prefs WHERE sub = $2 AND NOT enabled)";
    sql::execute(client, SQL, &[&Uuid::now_v7(), &sub]).await?;
    Ok(())
}

/// Whether `sub` gets notices.
pub async fn enabled(client: &impl GenericClient, sub: &str) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT enabled FROM notification_prefs WHERE sub = $1";
    Ok(sql::query_opt(client, SQL, &[&sub])
        .await?
        .map(|r| r.col::<_, bool>(0))
        .transpose()?
        .unwrap_or(true))
}

/// Turns `sub`'s notices on or off; off also drops those waiting.
pub async fn set_enabled(
    client: &impl GenericClient,
    sub: &str,
    enabled: bool,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO notification_prefs (sub, enabled) VALUES ($1, $2) \
                       ON CONFLICT ON CONSTRAINT notification_prefs_pkey DO UPDATE \
                       SET enabled = EXCLUDED.enabled, updated_at = now()";
    const DROP_WAITING: &str = "UPDATE notifications SET sent_at = now(), last_error = 'turned off' \
                                WHERE recipient_sub = $1 AND sent_at IS NULL";
    sql::execute(client, SQL, &[&sub, &enabled]).await?;
    if !enabled {
        sql::execute(client, DROP_WAITING, &[&sub]).await?;
    }
    Ok(())
}

/// People with notices due whose last e-mail is older than `interval_secs`, at most `limit`.
pub async fn due_recipients(
    client: &impl GenericClient,
    interval_secs: f64,
    max_attempts: i32,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    const SQL: &str = "SELECT n.recipient_sub FROM notifications n LEFT JOIN people p ON p.sub = n.recipient_sub \
                       WHERE n.sent_at IS NULL AND n.next_attempt_at <= now() AND n.attempts < $2 \
                         AND (p.last_notified_at IS NULL OR p.last_notified_at <= now() - make_interval(secs => $1)) \
                       GROUP BY n.recipient_sub ORDER BY min(n.next_attempt_at) LIMIT $3";
    sql::query(client, SQL, &[&interval_secs, &max_attempts, &limit])
        .await?
        .iter()
        .map(|r| Ok(r.col(0)?))
        .collect()
}

/// A recipient locked for sending (other nodes skip them): address, language, and whether
/// their last e-mail is still within the interval (then nothing is sent yet).
#[derive(Debug)]
pub struct Recipient {
    /// Their address, when the idp gave one.
    pub email: Option<String>,
    /// Their language.
    pub locale: String,
    /// When they were last sent a notice.
    pub last_notified_at: Option<DateTime<Utc>>,
    /// Their oldest waiting notice: the e-mail that covers it is named after it, so a resend
    /// (the relay took it, the commit that follows failed) carries the same Message-ID.
    pub first_waiting: Option<Uuid>,
}

/// Locks `sub`'s row in `people` for the caller's transaction; `None` when another node holds
/// it or messaging has never met them.
pub async fn lock_recipient(
    client: &impl GenericClient,
    sub: &str,
) -> Result<Option<Recipient>, StoreError> {
    const SQL: &str = "SELECT email, locale, last_notified_at, \
                         (SELECT id FROM notifications WHERE recipient_sub = $1 AND sent_at IS NULL \
                          ORDER BY id LIMIT 1) AS first_waiting \
                       FROM people WHERE sub = $1 FOR UPDATE SKIP LOCKED";
    sql::query_opt(client, SQL, &[&sub])
        .await?
        .map(|r| {
            Ok(Recipient {
                email: r.col("email")?,
                locale: r.col("locale")?,
                last_notified_at: r.col("last_notified_at")?,
                first_waiting: r.col("first_waiting")?,
            })
        })
        .transpose()
}

/// Marks every notice waiting for `sub` sent (`error`: dropped with a reason).
pub async fn mark_sent(
    client: &impl GenericClient,
    sub: &str,
    error: Option<&str>,
) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE notifications SET sent_at = now(), last_error = $2 \
                       WHERE recipient_sub = $1 AND sent_at IS NULL";
    const PERSON: &str = "UPDATE people SET last_notified_at = now() WHERE sub = $1";
    let n = sql::execute(client, SQL, &[&sub, &error]).await?;
    if error.is_none() {
        sql::execute(client, PERSON, &[&sub]).await?;
    }
    Ok(n)
}

/// Records a failed attempt for `sub`'s waiting notices; the next waits `retry_secs`, doubled
/// for every earlier failure, at most an hour.
pub async fn mark_failed(
    client: &impl GenericClient,
    sub: &str,
    error: &str,
    retry_secs: f64,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE notifications SET attempts = attempts + 1, last_error = $2, \
                       next_attempt_at = now() + make_interval(secs => least(3600, $3 * power(2, attempts))) \
                       WHERE recipient_sub = $1 AND sent_at IS NULL";
    sql::execute(client, SQL, &[&sub, &error, &retry_secs]).await?;
    Ok(())
}

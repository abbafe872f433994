//! Conversations: open a thread in a category (routed to that category's team), reply,
//! read a thread (which records who read what), list an inbox or a queue, and the agents'
//! moves (take, close). Every access is checked against the caller: a thread that is not
//! theirs is [`ThreadError::NotFound`], exactly like one that does not exist.

pub mod access;
pub mod attachments;
pub mod drafts;
pub mod list;
pub mod manage;
pub mod open;
pub mod reply;
pub mod show;
pub mod watch;

use crate::crypto::CryptoError;
use crate::identity::caller::CallerError;
use crate::store::StoreError;

/// Why a conversation request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ThreadError {
    /// No such thread, message or person — or not the caller's (never told apart).
    #[error("not found")]
    NotFound,
    /// A field breaks a rule; `field` names it and `reason` is a message key (`i18n`).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as the API names it.
        field: &'static str,
        /// The message key.
        reason: &'static str,
    },
    /// Encryption keys could not be used.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller's profile could not be had.
    #[error(transparent)]
    Caller(#[from] CallerError),
    /// The caller sent as much as their quota allows: try again after this many seconds.
    #[error("quota reached")]
    Quota {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The quota counters (Redis) cannot be reached: sending is refused, reading still works.
    #[error("quota counters unavailable")]
    QuotaUnavailable(#[source] redis::RedisError),
}

/// Queues the content-free notice for whoever should hear of a message from `side` in
/// `thread`: the professional when the agency wrote; the agent working the thread when the
/// professional side wrote (an unassigned thread waits in its queue).
pub(crate) async fn notify_other_side(
    tx: &impl crate::store::GenericClient,
    thread: &crate::store::threads::Thread,
    side: crate::domain::Side,
) -> Result<(), ThreadError> {
    use crate::store::{notifications, people};
    let recipient = match side {
        crate::domain::Side::Agency => Some(thread.professional_sub.clone()),
        crate::domain::Side::Professional => match &thread.assignee {
            Some(agent) => people::by_username(tx, agent).await?.map(|p| p.sub),
            None => None,
        },
    };
    if let Some(sub) = recipient {
        notifications::enqueue(tx, &sub).await?;
    }
    Ok(())
}

/// What a quota counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Quota {
    /// A message or a new thread.
    Send,
    /// An attachment.
    Upload,
}

/// Counts one `what` by `caller` against their quota (every node shares the count).
pub(crate) async fn take_quota(
    app: &crate::state::AppState,
    caller: &crate::identity::Caller,
    what: Quota,
) -> Result<(), ThreadError> {
    let q = app.config.quotas;
    let (action, per_minute, per_day) = match what {
        Quota::Send => ("send", q.send_per_minute, q.send_per_day),
        Quota::Upload => ("upload", q.upload_per_minute, q.upload_per_day),
    };
    match app
        .quotas
        .take(action, &caller.sub, per_minute, per_day)
        .await
    {
        Ok(crate::store::quota::Decision::Allowed) => Ok(()),
        Ok(crate::store::quota::Decision::Refused { retry_after }) => {
            Err(ThreadError::Quota { retry_after })
        }
        Err(e) => Err(ThreadError::QuotaUnavailable(e)),
    }
}

impl From<deadpool_postgres::PoolError> for ThreadError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<tokio_postgres::Error> for ThreadError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::from(e).into()
    }
}

/// Where a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The thread that holds it.
    pub thread_id: uuid::Uuid,
    /// The message.
    pub message_id: uuid::Uuid,
}

/// Checks a text field: trimmed, not empty, at most `max` characters, and no control
/// characters but line breaks and tabs (in bodies).
pub(crate) fn text_field(
    field: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, ThreadError> {
    let value = optional_text(field, value.trim(), max, multiline)?;
    if value.is_empty() {
        return Err(ThreadError::Invalid {
            field,
            reason: "required",
        });
    }
    Ok(value)
}

/// [`text_field`] that may be empty and is kept as typed, untrimmed (a draft's fields).
pub(crate) fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, ThreadError> {
    if value.chars().count() > max {
        return Err(ThreadError::Invalid {
            field,
            reason: "too_long",
        });
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !value.chars().all(allowed) {
        return Err(ThreadError::Invalid {
            field,
            reason: "control_characters",
        });
    }
    Ok(value.to_owned())
}

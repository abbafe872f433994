//! Housekeeping every node does now and then: attachments uploaded but never sent within a
//! day are removed with their blobs (unless another attachment shares the blob), temporary
//! uploads a crash left behind are deleted, and drafts untouched for a month are removed.

use std::time::Duration;

use crate::state::AppState;
use crate::store::{attachments, drafts};
use crate::threads::drafts::STALE_DAYS;

/// An unsent attachment is kept this long.
const UNSENT_HOURS: i32 = 24;

/// Starts the sweeps (every 10 minutes).
pub fn start(app: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match sweep(&app).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "unsent attachments removed"),
                Err(e) => tracing::warn!(error = %crate::error::Chain(&e), "housekeeping failed"),
            }
        }
    });
}

/// One sweep; returns how many unsent attachments it removed.
pub async fn sweep(app: &AppState) -> Result<usize, crate::store::StoreError> {
    let db = app.db.get().await?;
    let blobs = attachments::delete_unsent(&db, UNSENT_HOURS).await?;
    let removed = blobs.len();
    for name in blobs {
        if !attachments::blob_in_use(&db, &name).await?
            && let Err(e) = app.blobs.remove(&name).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "an unused blob could not be removed");
        }
    }
    let stale = drafts::delete_stale(&db, STALE_DAYS).await?;
    if stale > 0 {
        tracing::info!(removed = stale, "stale drafts removed");
    }
    app.blobs
        .remove_stale_uploads(Duration::from_secs(
            u64::try_from(UNSENT_HOURS).unwrap_or(24) * 3600,
        ))
        .await;
    Ok(removed)
}

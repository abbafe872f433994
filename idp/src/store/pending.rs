//! Authorization requests waiting for a login, a consent or a forced credential change, kept
//! in Redis for 10 minutes under a random id so the flow resumes on whichever node the browser
//! reaches next.

use serde::{Serialize, de::DeserializeOwned};

use super::{Kv, StoreError, ephemeral};

/// How long a user has to sign in before the request must start again.
pub const PENDING_TTL_SECS: u64 = 600;

/// Stores a pending request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put<T: Serialize>(kv: &Kv, id: &str, request: &T) -> Result<(), StoreError> {
    ephemeral::put(kv, "pending", id, request, PENDING_TTL_SECS).await
}

/// Reads a pending request, if it has not expired.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<T: DeserializeOwned>(kv: &Kv, id: &str) -> Result<Option<T>, StoreError> {
    ephemeral::get(kv, "pending", id).await
}

/// Replaces a pending request that is still there, keeping its expiry; whether it was.
pub async fn replace<T: Serialize>(kv: &Kv, id: &str, request: &T) -> Result<bool, StoreError> {
    ephemeral::replace(kv, "pending", id, request).await
}

/// Takes a pending request to answer it: exactly one caller gets it (`GETDEL`).
pub async fn take<T: DeserializeOwned>(kv: &Kv, id: &str) -> Result<Option<T>, StoreError> {
    ephemeral::take(kv, "pending", id).await
}

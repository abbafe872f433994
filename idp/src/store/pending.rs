//! Authorization requests waiting for a login or a consent, kept in Redis for 10 minutes under
//! a random id so the flow resumes on whichever node the browser reaches next.

use serde::{Serialize, de::DeserializeOwned};

use super::{Kv, StoreError};

/// How long a user has to sign in before the request must start again.
pub const PENDING_TTL_SECS: u64 = 600;

/// Stores a pending request.
pub async fn put<T: Serialize>(kv: &Kv, id: &str, request: &T) -> Result<(), StoreError> {
    let json = serde_json::to_string(request).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut conn = kv.conn();
    let _: () = redis::cmd("SET")
        .arg(kv.key("pending", id))
        .arg(json)
        .arg("EX")
        .arg(PENDING_TTL_SECS)
        .query_async(&mut conn)
        .await?;
    Ok(())
}

/// Reads a pending request, if it has not expired.
pub async fn get<T: DeserializeOwned>(kv: &Kv, id: &str) -> Result<Option<T>, StoreError> {
    let mut conn = kv.conn();
    let json: Option<String> = redis::cmd("GET")
        .arg(kv.key("pending", id))
        .query_async(&mut conn)
        .await?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

/// Forgets a pending request once it is answered.
pub async fn delete(kv: &Kv, id: &str) -> Result<(), StoreError> {
    let mut conn = kv.conn();
    let _: u8 = redis::cmd("DEL")
        .arg(kv.key("pending", id))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

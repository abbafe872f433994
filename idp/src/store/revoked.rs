//! Revoked access tokens. Access tokens are JWTs (RFC 9068) that resource servers may verify
//! alone; our own introspection and userinfo also consult this list, kept until the token
//! would have expired anyway.

use super::{Kv, StoreError};

/// Revokes one access token by `jti`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_jti(kv: &Kv, jti: &str, ttl_secs: u64) -> Result<(), StoreError> {
    set(kv, kv.key("revoked-jti", jti), ttl_secs).await
}

/// Revokes every access token of a grant (refresh family or code redemption).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_grant(kv: &Kv, grant: &str, ttl_secs: u64) -> Result<(), StoreError> {
    set(kv, kv.key("revoked-grant", grant), ttl_secs).await
}

/// Revokes every access token minted in an SSO session (logout).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_sid(kv: &Kv, sid: &str, ttl_secs: u64) -> Result<(), StoreError> {
    set(kv, kv.key("revoked-sid", sid), ttl_secs).await
}

/// Whether the token, its grant or its session was revoked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn is_revoked(
    kv: &Kv,
    jti: &str,
    grant: Option<&str>,
    sid: Option<&str>,
) -> Result<bool, StoreError> {
    // Three keys with three hash tags: three commands sent together on the one multiplexed
    // connection (a pipeline or a multi-key EXISTS would cross slots on a Cluster).
    let keys = [
        Some(kv.key("revoked-jti", jti)),
        grant.map(|grant| kv.key("revoked-grant", grant)),
        sid.map(|sid| kv.key("revoked-sid", sid)),
    ];
    let found = futures_util::future::try_join_all(keys.into_iter().flatten().map(|key| {
        let mut conn = kv.conn();
        async move {
            redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u8>(&mut conn)
                .await
        }
    }))
    .await?;
    Ok(found.contains(&1))
}

#[tracing::instrument(level = "debug", skip_all)]
async fn set(kv: &Kv, key: String, ttl_secs: u64) -> Result<(), StoreError> {
    let mut conn = kv.conn();
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("1")
        .arg("EX")
        .arg(ttl_secs.max(1))
        .query_async(&mut conn)
        .await?;
    Ok(())
}

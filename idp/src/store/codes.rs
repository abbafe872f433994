//! Authorization codes (RFC 6749 §4.1.2, RFC 9700 §4.2.1): stored under their digest for at
//! most 60 s, taken exactly once with `GETDEL`. Taking leaves a "used" marker so a replay is
//! recognised and the tokens of the first redemption revoked (RFC 6749 §4.1.2).

use redis::Script;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use super::{Kv, StoreError};

/// What a code stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the request, compared exactly at the token endpoint.
    pub redirect_uri: String,
    /// Granted scope.
    pub scope: String,
    /// The request's nonce, for the id_token.
    pub nonce: Option<String>,
    /// The PKCE challenge, encoded by oxide-auth's `Pkce`.
    pub pkce: String,
    /// Who.
    pub account_id: uuid::Uuid,
    /// Their SSO session.
    pub sid: String,
    /// When they authenticated (Unix seconds).
    pub auth_time: i64,
    /// How (the session's `amr`).
    #[serde(default)]
    pub amr: Vec<String>,
}

/// The result of presenting a code.
#[derive(Debug)]
pub enum Taken {
    /// First presentation: the grant.
    Fresh(CodeGrant),
    /// Already redeemed; carries what the first redemption issued, if it finished.
    Replayed(Option<String>),
    /// Never issued, or expired.
    Unknown,
    /// Issued to another client: left in place for the client it belongs to (RFC 6749
    /// §4.1.3), so a leaked code presented by someone else cannot spend it.
    OtherClient,
}

const PENDING: &str = "pending";
const REPLAYED: &str = "replayed";

static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local v = redis.call('GET', KEYS[1])
          if v then
            local ok, grant = pcall(cjson.decode, v)
            if (not ok) or grant['client_id'] ~= ARGV[2] then return {3, ''} end
            redis.call('DEL', KEYS[1])
            redis.call('SET', KEYS[2], 'pending', 'EX', ARGV[1])
            return {1, v}
          end
          local u = redis.call('GET', KEYS[2])
          if u then
            if u == 'pending' then redis.call('SET', KEYS[2], 'replayed', 'KEEPTTL') end
            return {2, u}
          end
          return {0, ''}",
    )
});

/// Stores a new code (`SET NX EX`: a digest collision never overwrites).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put(
    kv: &Kv,
    digest: &str,
    grant: &CodeGrant,
    ttl_secs: u64,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(grant).map_err(|e| StoreError::Corrupt(e.into()))?;
    let mut conn = kv.conn();
    let set: Option<String> = redis::cmd("SET")
        .arg(kv.key("code", digest))
        .arg(json)
        .arg("NX")
        .arg("EX")
        .arg(ttl_secs)
        .query_async(&mut conn)
        .await?;
    set.map(|_| ())
        .ok_or_else(|| StoreError::Corrupt("code digest collision".into()))
}

/// Takes a code atomically for `client_id`; the used marker lives `replay_ttl_secs`.
#[tracing::instrument(level = "debug", skip_all, fields(client = %client_id))]
pub async fn take(
    kv: &Kv,
    digest: &str,
    client_id: &str,
    replay_ttl_secs: u64,
) -> Result<Taken, StoreError> {
    let mut conn = kv.conn();
    let (state, value): (u8, String) = TAKE
        .key(kv.key("code", digest))
        .key(kv.key("code-used", digest))
        .arg(replay_ttl_secs)
        .arg(client_id)
        .invoke_async(&mut conn)
        .await?;
    Ok(match state {
        1 => Taken::Fresh(serde_json::from_str(&value).map_err(|e| StoreError::Corrupt(e.into()))?),
        2 if value == PENDING || value == REPLAYED => Taken::Replayed(None),
        2 => Taken::Replayed(Some(value)),
        3 => Taken::OtherClient,
        _ => Taken::Unknown,
    })
}

/// Records what the first redemption issued. Returns `true` when a replay arrived meanwhile,
/// in which case the caller revokes what it just issued.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_issued(kv: &Kv, digest: &str, issued: &str) -> Result<bool, StoreError> {
    let mut conn = kv.conn();
    let old: Option<String> = redis::cmd("SET")
        .arg(kv.key("code-used", digest))
        .arg(issued)
        .arg("XX")
        .arg("KEEPTTL")
        .arg("GET")
        .query_async(&mut conn)
        .await?;
    Ok(old.as_deref() == Some(REPLAYED))
}

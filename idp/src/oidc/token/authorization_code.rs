//! `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6): the code is taken exactly once; it
//! must come from the same client, with the same redirect URI and the PKCE verifier. A second
//! presentation revokes what the first one issued (§4.1.2, RFC 9700 §4.2.4).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::TokenResponse;
use super::user;
use crate::domain::SecretToken;
use crate::oidc::error::OAuthError;
use crate::oidc::issue::Grant;
use crate::oidc::pkce;
use crate::oidc::request::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::codes::{self, Taken};
use crate::store::refresh::{self, Family};
use crate::store::{accounts, audit, revoked, sessions};

/// How long a used code is remembered to catch a replay.
const REPLAY_MEMORY_SECS: u64 = 600;

/// Exchanges a code for tokens.
#[tracing::instrument(skip_all, fields(client = %client.id))]
pub async fn exchange(
    app: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let digest = SecretToken::presented(code).digest_b64();
    let grant = match codes::take(&app.kv, &digest, &client.id, REPLAY_MEMORY_SECS).await? {
        Taken::Fresh(grant) => grant,
        Taken::Unknown => return Err(OAuthError::invalid_grant("the code is invalid or expired")),
        Taken::OtherClient => {
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        Taken::Replayed(issued) => {
            if let Some(issued) = issued {
                revoke_issued(app, &issued).await?;
            }
            audit_replay(app, client).await;
            return Err(OAuthError::invalid_grant(
                "the code was already used; its tokens are revoked",
            ));
        }
    };
    if params.get("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    if !pkce::verify(&grant.pkce, params.get("code_verifier")) {
        return Err(OAuthError::invalid_grant("PKCE verification failed"));
    }
    let auth_time = DateTime::<Utc>::from_timestamp(grant.auth_time, 0).unwrap_or_else(Utc::now);
    let family_id = Uuid::new_v4();
    let (account, refresh_token) = {
        let mut db = app.db.get().await?;
        let tx = db.transaction().await?;
        // A logout between the code and its redemption ends the grant too.
        if !sessions::lock_live(&tx, &grant.sid).await? {
            return Err(OAuthError::invalid_grant(
                "the session of this code has ended",
            ));
        }
        let account = user::ensure_enabled(accounts::get(&tx, grant.account_id).await?)?;
        sessions::add_client(&tx, &grant.sid, &client.id).await?;
        let refresh_token = if client.grant_types.iter().any(|g| g == "refresh_token") {
            let now = Utc::now();
            let family = Family {
                id: family_id,
                account_id: account.id,
                client_id: client.id.clone(),
                scope: grant.scope.clone(),
                sid: Some(grant.sid.clone()),
                auth_time,
                amr: grant.amr.clone(),
                expires_at: now + Duration::seconds(app.config.tokens.refresh_absolute_secs as i64),
                revoked_at: None,
            };
            refresh::create_family(&tx, &family).await?;
            let token = SecretToken::generate().map_err(|_| OAuthError::server("rng"))?;
            let idle = (now + Duration::seconds(app.config.tokens.refresh_idle_secs as i64))
                .min(family.expires_at);
            refresh::insert_token(&tx, &token.digest(), family_id, idle).await?;
            Some(token.expose().to_owned())
        } else {
            None
        };
        tx.commit().await?;
        (account, refresh_token)
    };
    let subject = account.id.to_string();
    let gid = family_id.to_string();
    let grant_ref = Grant {
        subject: &subject,
        scope: &grant.scope,
        auth_time: Some(auth_time),
        amr: &grant.amr,
        sid: Some(&grant.sid),
        grant_id: Some(&gid),
    };
    let (response, jti) = user::issue(
        app,
        client,
        &account,
        grant_ref,
        grant.nonce.as_deref(),
        refresh_token,
    )
    .await?;
    let issued = format!("{gid} {jti}");
    if codes::record_issued(&app.kv, &digest, &issued).await? {
        // A replay arrived while we were minting: what we just issued is revoked too.
        revoke_issued(app, &issued).await?;
        return Err(OAuthError::invalid_grant(
            "the code was already used; its tokens are revoked",
        ));
    }
    crate::metrics::token_issued("authorization_code");
    Ok(response)
}

/// Revokes the refresh family and access token one redemption issued (`"<gid> <jti>"`).
async fn revoke_issued(app: &AppState, issued: &str) -> Result<(), OAuthError> {
    let Some((gid, jti)) = issued.split_once(' ') else {
        return Ok(());
    };
    let ttl = app.config.tokens.access_token_ttl_secs;
    if let Ok(family) = gid.parse::<Uuid>() {
        let db = app.db.get().await?;
        refresh::revoke_family(&db, family).await?;
    }
    revoked::revoke_grant(&app.kv, gid, ttl).await?;
    revoked::revoke_jti(&app.kv, jti, ttl).await?;
    Ok(())
}

async fn audit_replay(app: &AppState, client: &Client) {
    tracing::warn!(event = "code_replay", client = %client.id, "authorization code replayed; tokens revoked");
    let event = audit::Event {
        kind: "code_replay",
        outcome: "revoked",
        account_id: None,
        client_id: Some(&client.id),
        ip: None,
        user_agent: None,
        detail: serde_json::json!({}),
    };
    if let Ok(db) = app.db.get().await
        && let Err(e) = audit::record(&db, &event).await
    {
        tracing::error!(error = %crate::error::Chain(&e), "audit event not recorded");
    }
}

//! `refresh_token` (RFC 6749 §6, RFC 9700 §4.14.2): each token is single use and rotated;
//! presenting a used token revokes the whole family; idle and absolute lifetimes apply.

use chrono::{Duration, Utc};

use super::TokenResponse;
use super::user;
use crate::domain::{Scope, SecretToken};
use crate::oidc::error::OAuthError;
use crate::oidc::issue::Grant;
use crate::oidc::request::Params;
use crate::state::AppState;
use crate::store::clients::Client;
use crate::store::{accounts, refresh, revoked};

/// Rotates a refresh token.
#[tracing::instrument(skip_all, fields(client = %client.id))]
pub async fn exchange(
    app: &AppState,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let digest = SecretToken::presented(presented).digest();
    let mut db = app.db.get().await?;
    let tx = db.transaction().await?;
    let Some(found) = refresh::find_for_update(&tx, &digest).await? else {
        return Err(OAuthError::invalid_grant("the refresh token is invalid"));
    };
    let family = found.family;
    if family.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if found.used_at.is_some() {
        refresh::revoke_family(&tx, family.id).await?;
        tx.commit().await?;
        revoked::revoke_grant(
            &app.kv,
            &family.id.to_string(),
            app.config.tokens.access_token_ttl_secs,
        )
        .await?;
        tracing::warn!(event = "refresh_reuse", client = %client.id, family = %family.id, "rotated refresh token reused; family revoked");
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used; the grant is revoked",
        ));
    }
    let now = Utc::now();
    if family.revoked_at.is_some() || family.expires_at <= now || found.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the refresh token is expired or revoked",
        ));
    }
    let account = user::ensure_enabled(accounts::get(&tx, family.account_id).await?)?;
    let granted = Scope::parse(&family.scope).map_err(|_| OAuthError::server("stored scope"))?;
    let scope = match params.get("scope") {
        None => granted,
        Some(raw) => {
            let asked =
                Scope::parse(raw).map_err(|_| OAuthError::invalid_scope("scope is malformed"))?;
            if !asked.is_subset(&granted) {
                return Err(OAuthError::invalid_scope(
                    "scope exceeds the original grant",
                ));
            }
            asked
        }
    };
    refresh::mark_used(&tx, &digest).await?;
    let next = SecretToken::generate().map_err(|_| OAuthError::server("rng"))?;
    let idle = (now + Duration::seconds(app.config.tokens.refresh_idle_secs as i64))
        .min(family.expires_at);
    refresh::insert_token(&tx, &next.digest(), family.id, idle).await?;
    tx.commit().await?;
    drop(db);
    let subject = account.id.to_string();
    let gid = family.id.to_string();
    let scope = scope.to_string();
    let grant = Grant {
        subject: &subject,
        scope: &scope,
        auth_time: Some(family.auth_time),
        amr: &family.amr,
        sid: family.sid.as_deref(),
        grant_id: Some(&gid),
    };
    let (response, _) = user::issue(
        app,
        client,
        &account,
        grant,
        None,
        Some(next.expose().to_owned()),
    )
    .await?;
    crate::metrics::token_issued("refresh_token");
    Ok(response)
}

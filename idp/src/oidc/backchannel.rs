//! Back-Channel Logout 1.0: a signed logout token POSTed to every relying party that took part
//! in the ended session and registered a `backchannel_logout_uri`. Sent in the background so
//! a slow relying party never delays the user.

use chrono::{Duration, Utc};
use serde::Serialize;
use serde_json::json;

use crate::domain::SecretToken;
use crate::keys::SigningAlg;
use crate::sso::session::Ended;
use crate::state::AppState;
use crate::store::{clients, sessions};

/// Logout token claims (§2.4).
#[derive(Debug, Serialize)]
struct LogoutToken {
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
    sid: String,
    /// Omitted when the session's account cannot be read: `sid` identifies it (§2.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    events: serde_json::Value,
}

/// Notifies the relying parties of a session that just ended (nothing when none did).
#[tracing::instrument(skip_all)]
pub async fn notify(app: &AppState, ended: Option<Ended>) {
    let Some(Ended { sid }) = ended else { return };
    let sid = sid.as_str();
    let targets = match app.db.get().await {
        Ok(db) => sessions::backchannel_targets(&db, sid).await,
        Err(e) => Err(e.into()),
    };
    let targets = match targets {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %crate::error::Chain(&e), "back-channel logout targets unavailable");
            return;
        }
    };
    let sub = match app.db.get().await {
        Ok(db) => sessions::account_of(&db, sid).await.ok().flatten(),
        Err(_) => None,
    }
    .map(|id| id.to_string());
    for (client_id, uri) in targets {
        let app = app.clone();
        let sid = sid.to_owned();
        let sub = sub.clone();
        tokio::spawn(async move {
            if let Err(e) = send(&app, &client_id, &uri, &sid, sub.as_deref()).await {
                tracing::warn!(client = %client_id, error = %e, "back-channel logout failed");
            }
        });
    }
}

async fn send(
    app: &AppState,
    client_id: &str,
    uri: &str,
    sid: &str,
    sub: Option<&str>,
) -> anyhow::Result<()> {
    let alg = {
        let db = app.db.get().await?;
        clients::get(&db, client_id)
            .await?
            .and_then(|c| SigningAlg::parse(&c.id_token_alg))
            .unwrap_or(SigningAlg::Rs256)
    };
    let now = Utc::now();
    let claims = LogoutToken {
        iss: app.issuer.clone(),
        aud: client_id.to_owned(),
        iat: now.timestamp(),
        exp: (now + Duration::minutes(2)).timestamp(),
        jti: SecretToken::generate()
            .map_err(|_| anyhow::anyhow!("rng"))?
            .expose()
            .chars()
            .take(22)
            .collect(),
        sid: sid.to_owned(),
        sub: sub.map(str::to_owned),
        events: json!({ "http://schemas.openid.net/event/backchannel-logout": {} }),
    };
    let token = app
        .keys
        .signer(alg)
        .await?
        .sign_jwt("logout+jwt", &claims)?;
    let response = app
        .http
        .post(uri)
        .form(&[("logout_token", token)])
        .send()
        .await?;
    if !response.status().is_success() {
        anyhow::bail!("relying party answered {}", response.status());
    }
    Ok(())
}

//! The token, introspection, userinfo and JWKS endpoints called over plain HTTP, as a
//! hand-written client or a resource server would: no `openidconnect` in between.

use std::collections::HashSet;

use serde_json::Value;

use crate::{CALLBACK, TestApp};

/// `POST /token` with HTTP Basic client authentication: the status and the JSON answer.
pub async fn token(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = app
        .new_browser()
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Redeems `code` with its PKCE `verifier` (redirect URI [`CALLBACK`]): status and JSON.
pub async fn redeem(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    code: &str,
    verifier: &str,
) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    token(app, client_id, secret, &form).await
}

/// `grant_type=refresh_token`: status and JSON.
pub async fn refresh(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    refresh_token: &str,
) -> (u16, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token(app, client_id, secret, &form).await
}

/// `POST /introspect` as `client_id`: whether `token` is active.
pub async fn active(app: &TestApp, client_id: &str, secret: &str, token: &str) -> bool {
    let json: Value = app
        .new_browser()
        .post(app.url("/introspect"))
        .basic_auth(client_id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    json["active"].as_bool().expect("`active` in the answer")
}

/// `GET /userinfo` with a bearer token: the status and, on success, the `sub`.
pub async fn userinfo(app: &TestApp, access_token: &str) -> (u16, Option<String>) {
    let response = app
        .new_browser()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = if status == 200 {
        response.json().await.unwrap()
    } else {
        Value::Null
    };
    (status, body["sub"].as_str().map(str::to_owned))
}

/// `GET /jwks.json`: the JSON document.
pub async fn jwks<T: serde::de::DeserializeOwned>(app: &TestApp) -> T {
    app.new_browser()
        .get(app.url("/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The `kid` of every key `/jwks.json` publishes.
pub async fn jwks_kids(app: &TestApp) -> HashSet<String> {
    let jwks: Value = jwks(app).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// A string member of a JSON answer, e.g. `access_token`.
pub fn field(body: &Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_owned()
}

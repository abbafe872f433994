//! Two idp nodes on different ports sharing Postgres, Redis and secrets, behind the same public
//! URL as a load balancer would put them: whatever one node starts, the other finishes.

use std::collections::HashSet;
use std::time::Duration;

use idp::keys::SigningAlg;
use integration_tests::jwt::kid;
use integration_tests::oauth::{self, field, jwks_kids, userinfo};
use integration_tests::page::{cookie_value, set_cookie};
use integration_tests::rp::{self, algs};
use integration_tests::wait_until;
use integration_tests::{
    CALLBACK, PASSWORD, Provider, SESSION_COOKIE, TestApp, confidential_client, get, location,
    login, provider, urlencode,
};
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    ClientId, ClientSecret, IssuerUrl, Nonce, OAuth2TokenResponse, RedirectUrl, TokenResponse,
    TokenUrl,
};
use serde_json::Value;

const CLIENT: &str = "portal";
const USER: &str = "IP31415";

/// Node A, node B (same issuer as A), the client's secret, the user's `sub`, and the provider
/// as the client discovered it.
struct Cluster {
    a: TestApp,
    b: TestApp,
    secret: String,
    sub: String,
    metadata: CoreProviderMetadata,
}

async fn cluster() -> Cluster {
    let Provider {
        app: a,
        secret,
        metadata,
    } = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Es256)).await;
    let b = a.spawn_peer_node().await;
    assert_ne!(a.port, b.port);
    let sub = a.add_user(USER).await;
    Cluster {
        a,
        b,
        secret: secret.unwrap(),
        sub,
        metadata,
    }
}

/// A completed login on `node`: the authorization response and the SSO session cookie value.
struct LoggedIn {
    callback: url::Url,
    session: String,
    started: rp::Started,
}

/// Authorize and log in on `node`, reading the session cookie from the login response.
async fn log_in_on(c: &Cluster, node: &TestApp) -> LoggedIn {
    let started = rp::start(&c.metadata, CLIENT, CALLBACK, &["openid", "profile"]);
    let authorize = node.url(&path_and_query(&started.url));
    let browser = node.new_browser();
    let login = login::page_location(&browser, &authorize).await;
    let html = get(&browser, node.url(&login)).await.text().await.unwrap();
    let response = login::post_form(node, &browser, &html, USER, PASSWORD).await;
    assert_eq!(
        response.status(),
        303,
        "the login succeeds on {}",
        node.issuer
    );
    let session = cookie_value(&set_cookie(&response, SESSION_COOKIE).expect("a session cookie"));
    let response = integration_tests::through_resume(node, &browser, response).await;
    let callback = url::Url::parse(&location(&response)).unwrap();
    LoggedIn {
        callback,
        session,
        started,
    }
}

fn path_and_query(url: &url::Url) -> String {
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// A token endpoint request to `node`, authenticated with HTTP Basic.
async fn token(c: &Cluster, node: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    oauth::token(node, CLIENT, &c.secret, form).await
}

async fn redeem(c: &Cluster, node: &TestApp, login: &LoggedIn) -> Value {
    let code = rp::code_from(&login.callback, &c.a, &login.started.state);
    let verifier = login.started.verifier.secret();
    let (status, body) = oauth::redeem(node, CLIENT, &c.secret, code.secret(), verifier).await;
    assert_eq!(status, 200, "the code is redeemed: {body}");
    body
}

async fn refresh(c: &Cluster, node: &TestApp, refresh_token: &str) -> (u16, Value) {
    oauth::refresh(node, CLIENT, &c.secret, refresh_token).await
}

/// An authorization request sent to `node` with only a copied session cookie.
async fn authorize_with_cookie(
    c: &Cluster,
    node: &TestApp,
    session: &str,
) -> (reqwest::Response, rp::Started) {
    let started = rp::start(&c.metadata, CLIENT, CALLBACK, &["openid"]);
    let response = node
        .new_browser()
        .get(node.url(&path_and_query(&started.url)))
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .unwrap();
    (response, started)
}

#[tokio::test]
async fn a_code_issued_on_node_a_is_redeemed_at_node_b_and_its_id_token_verifies() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let code = rp::code_from(&login.callback, &c.a, &login.started.state);

    let client = CoreClient::from_provider_metadata(
        c.metadata.clone(),
        ClientId::new(CLIENT.into()),
        rp::secret(Some(c.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
    .set_token_uri(TokenUrl::new(c.b.url("/token")).unwrap());
    let tokens = client
        .exchange_code(code.clone())
        .set_pkce_verifier(login.started.verifier)
        .request_async(&rp::http(&c.b))
        .await
        .expect("node B redeems node A's code");
    let verifier: CoreIdTokenVerifier = client
        .id_token_verifier()
        .set_allowed_algs(algs(SigningAlg::Es256));
    let claims = tokens
        .id_token()
        .expect("an id_token")
        .claims(&verifier, &login.started.nonce)
        .expect("it verifies");
    assert_eq!(claims.subject().as_str(), c.sub);
    assert_eq!(
        claims.issuer().as_str(),
        c.a.issuer,
        "one issuer for the whole deployment"
    );

    let (status, body) = token(
        &c,
        &c.a,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.secret()),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 400, "the code is single use across nodes: {body}");
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = userinfo(&c.b, tokens.access_token().secret()).await;
    assert_eq!(
        status, 401,
        "the replay on A revoked what B issued for the code"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_across_nodes_and_a_reuse_on_the_other_node_revokes_the_family() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let first = redeem(&c, &c.b, &login).await;
    let r1 = field(&first, "refresh_token");

    let (status, on_a) = refresh(&c, &c.a, &r1).await;
    assert_eq!(status, 200, "refresh on A: {on_a}");
    let r2 = field(&on_a, "refresh_token");
    assert_ne!(r1, r2, "rotated");
    let (status, on_b) = refresh(&c, &c.b, &r2).await;
    assert_eq!(status, 200, "A's rotated token refreshes on B: {on_b}");
    let r3 = field(&on_b, "refresh_token");
    let at3 = field(&on_b, "access_token");
    assert_eq!(
        userinfo(&c.a, &at3).await.0,
        200,
        "the newest access token works before the reuse"
    );

    let (status, reuse) = refresh(&c, &c.a, &r2).await;
    assert_eq!(
        status, 400,
        "r2 was used on B; presenting it on A is a reuse: {reuse}"
    );
    assert_eq!(reuse["error"], "invalid_grant");
    let (status, after) = refresh(&c, &c.b, &r3).await;
    assert_eq!(
        status, 400,
        "the whole family is revoked, on B too: {after}"
    );
    assert_eq!(after["error"], "invalid_grant");
    assert_eq!(
        userinfo(&c.a, &at3).await.0,
        401,
        "the family's access tokens are revoked on A"
    );
    assert_eq!(userinfo(&c.b, &at3).await.0, 401, "and on B");
}

#[tokio::test]
async fn userinfo_on_one_node_accepts_an_access_token_minted_on_the_other() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let minted_on_a = redeem(&c, &c.a, &login).await;
    let (status, sub) = userinfo(&c.b, &field(&minted_on_a, "access_token")).await;
    assert_eq!(
        (status, sub.as_deref()),
        (200, Some(c.sub.as_str())),
        "B accepts A's access token"
    );

    let (status, minted_on_b) = refresh(&c, &c.b, &field(&minted_on_a, "refresh_token")).await;
    assert_eq!(status, 200);
    let (status, sub) = userinfo(&c.a, &field(&minted_on_b, "access_token")).await;
    assert_eq!(
        (status, sub.as_deref()),
        (200, Some(c.sub.as_str())),
        "A accepts B's access token"
    );
}

#[tokio::test]
async fn a_key_rotation_done_once_is_seen_by_both_nodes() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let tokens = redeem(&c, &c.a, &login).await;
    let before_a = jwks_kids(&c.a).await;
    let before_b = jwks_kids(&c.b).await;
    assert_eq!(before_a, before_b, "both nodes publish the same keys");
    let old_kid = kid(&field(&tokens, "access_token"));
    assert!(before_a.contains(&old_kid));

    c.a.rotate_keys(0).await;
    // Each node's key set is a cache (keys.cache_secs = 1): wait, within a bound, for both.
    for node in [&c.a, &c.b] {
        let seen = wait_until(
            Duration::from_secs(15),
            Duration::from_millis(100),
            async || jwks_kids(node).await != before_a,
        )
        .await;
        assert!(seen, "the rotation reaches every node within 15 s");
    }

    let (status, rotated) = refresh(&c, &c.a, &field(&tokens, "refresh_token")).await;
    assert_eq!(status, 200);
    let access = field(&rotated, "access_token");
    let new_kid = kid(&access);
    assert_ne!(
        new_kid, old_kid,
        "after the rotation A signs with a new key"
    );
    let (status, sub) = userinfo(&c.b, &access).await;
    assert_eq!(
        (status, sub.as_deref()),
        (200, Some(c.sub.as_str())),
        "B verifies a token signed by the new key"
    );

    let after_a = jwks_kids(&c.a).await;
    let after_b = jwks_kids(&c.b).await;
    assert_eq!(
        after_a, after_b,
        "both nodes publish the same keys after the rotation"
    );
    let added: HashSet<_> = after_a.difference(&before_a).cloned().collect();
    assert_eq!(added.len(), 3, "one new key per algorithm: {added:?}");
    assert!(added.contains(&new_kid));
    assert!(
        before_a.is_subset(&after_a),
        "the old keys stay published while retiring"
    );

    let id_token = field(&rotated, "id_token");
    assert!(
        added.contains(&kid(&id_token)),
        "the id_token is signed by a new key too"
    );
    let jwks_of_b: CoreJsonWebKeySet = oauth::jwks(&c.b).await;
    let verifier = CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(CLIENT.into()),
        ClientSecret::new(c.secret.clone()),
        IssuerUrl::new(c.a.issuer.clone()).unwrap(),
        jwks_of_b,
    )
    .set_allowed_algs(algs(SigningAlg::Es256));
    let parsed: CoreIdToken = id_token.parse().unwrap();
    parsed
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .expect("the new id_token verifies with B's JWKS");
}

#[tokio::test]
async fn the_sso_session_cookie_set_by_node_a_signs_the_user_in_on_node_b() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let (response, started) = authorize_with_cookie(&c, &c.b, &login.session).await;
    assert_eq!(response.status(), 303);
    let target = location(&response);
    assert!(
        target.starts_with(CALLBACK),
        "B answers from A's session without a login page: {target}"
    );
    let code = rp::code_from(&url::Url::parse(&target).unwrap(), &c.a, &started.state);
    assert!(!code.secret().is_empty());

    let (response, _) = authorize_with_cookie(&c, &c.b, &"x".repeat(43)).await;
    assert!(
        location(&response).starts_with("/login"),
        "an unknown session id gets the login page"
    );
}

#[tokio::test]
async fn logging_out_on_node_a_ends_the_session_on_node_b() {
    let c = cluster().await;
    let login = log_in_on(&c, &c.a).await;
    let tokens = redeem(&c, &c.b, &login).await;
    let (before, _) = authorize_with_cookie(&c, &c.b, &login.session).await;
    assert!(
        location(&before).starts_with(CALLBACK),
        "the session is live on B"
    );

    let logout = format!(
        "/logout?id_token_hint={}&client_id={CLIENT}&post_logout_redirect_uri={}&state=bye",
        field(&tokens, "id_token"),
        urlencode(&format!("{CALLBACK}/after-logout"))
    );
    let response =
        c.a.new_browser()
            .get(c.a.url(&logout))
            .header("cookie", format!("{SESSION_COOKIE}={}", login.session))
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 303, "logout on A");
    assert_eq!(
        location(&response),
        format!("{CALLBACK}/after-logout?state=bye")
    );

    let (after, _) = authorize_with_cookie(&c, &c.b, &login.session).await;
    assert!(
        location(&after).starts_with("/login"),
        "B no longer knows the session: {}",
        location(&after)
    );
    let (status, body) = refresh(&c, &c.b, &field(&tokens, "refresh_token")).await;
    assert_eq!(
        status, 400,
        "the session's refresh tokens are revoked on B: {body}"
    );
    assert_eq!(
        userinfo(&c.b, &field(&tokens, "access_token")).await.0,
        401,
        "and its access tokens"
    );
}

#[tokio::test]
async fn a_node_with_another_issuer_refuses_tokens_minted_for_the_first_issuer() {
    let c = cluster().await;
    let other = c.a.spawn_second_node().await;
    let login = log_in_on(&c, &c.a).await;
    let tokens = redeem(&c, &c.a, &login).await;
    let access = field(&tokens, "access_token");
    assert_eq!(
        userinfo(&c.b, &access).await.0,
        200,
        "a node of the same issuer accepts it"
    );
    assert_eq!(
        userinfo(&other, &access).await.0,
        401,
        "a node answering as another issuer does not"
    );
}

//! Signing-key rotation as relying parties and resource servers see it: the JWKS, the `kid`
//! of new tokens, and tokens signed before the rotation (`keys.cache_secs` = 1 in tests).

use std::collections::HashSet;
use std::time::Duration;

use idp::keys::SigningAlg;
use integration_tests::jwt::{header, kid};
use integration_tests::oauth::{self, field, jwks_kids};
use integration_tests::rp::{self, algs};
use integration_tests::wait_until;
use integration_tests::{
    CALLBACK, PASSWORD, Provider, TestApp, b64url, confidential_client, provider,
};
use openidconnect::core::{CoreClient, CoreIdToken, CoreIdTokenVerifier};
use openidconnect::{ClientId, ClientSecret, Nonce};
use serde_json::Value;

const CLIENT: &str = "rotating";
/// id_tokens are RS256 for this client, access tokens ES256: two keys rotate independently.
const ID_TOKEN_ALG: SigningAlg = SigningAlg::Rs256;

/// Longer than `keys.cache_secs` (1 s in config/test.toml): every node has reloaded its keys.
/// The key set of a node is a cache (`keys.cache_secs` = 1 in tests): wait, within a bound,
/// until this node's JWKS shows the rotation, rather than sleeping a fixed time.
async fn until_rotation_seen(app: &TestApp, before: &HashSet<String>) {
    let seen = wait_until(
        Duration::from_secs(15),
        Duration::from_millis(100),
        async || jwks_kids(app).await != *before,
    )
    .await;
    assert!(seen, "the rotation reaches the node's JWKS within 15 s");
}

struct SignedIn {
    app: TestApp,
    secret: String,
    nonce: Nonce,
    /// The token response of the code exchange.
    tokens: Value,
}

async fn signed_in() -> SignedIn {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(confidential_client(CLIENT, CALLBACK, ID_TOKEN_ALG)).await;
    let secret = secret.unwrap();
    app.add_user("IP27182").await;
    let started = rp::start(&metadata, CLIENT, CALLBACK, &["openid", "profile"]);
    let callback = rp::sign_in(
        &app.new_browser(),
        &app,
        started.url.as_str(),
        "IP27182",
        PASSWORD,
    )
    .await;
    let code = rp::code_from(&callback, &app, &started.state);
    let verifier = started.verifier.secret();
    let (status, tokens) = oauth::redeem(&app, CLIENT, &secret, code.secret(), verifier).await;
    assert_eq!(status, 200, "{tokens}");
    SignedIn {
        app,
        secret,
        nonce: started.nonce,
        tokens,
    }
}

/// A refresh: fresh tokens signed by whichever key signs now.
async fn refreshed(s: &SignedIn) -> Value {
    let refresh_token = field(&s.tokens, "refresh_token");
    let (status, body) = oauth::refresh(&s.app, CLIENT, &s.secret, &refresh_token).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn userinfo_status(app: &TestApp, access_token: &str) -> u16 {
    oauth::userinfo(app, access_token).await.0
}

/// Verifies an id_token as a relying party that discovers the provider (and its JWKS) now.
async fn verify_id_token(
    s: &SignedIn,
    id_token: &str,
    nonce: Option<&Nonce>,
) -> Result<(), String> {
    let metadata = rp::discover(&s.app).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT.into()),
        Some(ClientSecret::new(s.secret.clone())),
    );
    let verifier: CoreIdTokenVerifier = client
        .id_token_verifier()
        .set_allowed_algs(algs(ID_TOKEN_ALG));
    let parsed: CoreIdToken = id_token
        .parse()
        .map_err(|e: serde_json::Error| e.to_string())?;
    let expected = nonce.map(|n| n.secret().clone());
    parsed
        .claims(&verifier, move |got: Option<&Nonce>| {
            match (&expected, got) {
                (None, _) => Ok(()),
                (Some(want), Some(got)) if got.secret() == want => Ok(()),
                _ => Err("nonce mismatch".to_owned()),
            }
        })
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn tokens_signed_before_a_rotation_still_verify_after_it() {
    let s = signed_in().await;
    let access = field(&s.tokens, "access_token");
    let id_token = field(&s.tokens, "id_token");
    verify_id_token(&s, &id_token, Some(&s.nonce))
        .await
        .expect("the id_token verifies before the rotation");

    let before = jwks_kids(&s.app).await;
    s.app.rotate_keys(0).await;
    until_rotation_seen(&s.app, &before).await;

    let published = jwks_kids(&s.app).await;
    assert!(
        published.contains(&kid(&access)),
        "the access token's key stays published as retiring"
    );
    assert!(
        published.contains(&kid(&id_token)),
        "the id_token's key stays published as retiring"
    );
    let new = refreshed(&s).await;
    assert_ne!(
        kid(&field(&new, "access_token")),
        kid(&access),
        "the rotation took effect"
    );
    verify_id_token(&s, &id_token, Some(&s.nonce))
        .await
        .expect("an id_token signed before the rotation verifies with the JWKS fetched after it");
    assert_eq!(
        userinfo_status(&s.app, &access).await,
        200,
        "userinfo accepts an access token signed by the old key"
    );
}

#[tokio::test]
async fn with_a_pre_publication_delay_the_next_key_is_published_but_does_not_sign_yet() {
    let s = signed_in().await;
    let before = jwks_kids(&s.app).await;
    let old_access_kid = kid(&field(&s.tokens, "access_token"));
    let old_id_kid = kid(&field(&s.tokens, "id_token"));

    s.app.rotate_keys(3600).await;
    until_rotation_seen(&s.app, &before).await;

    let after = jwks_kids(&s.app).await;
    let next: HashSet<_> = after.difference(&before).cloned().collect();
    assert_eq!(
        next.len(),
        3,
        "the next key of each algorithm is published at once: {next:?}"
    );
    assert!(before.is_subset(&after), "the active keys stay published");

    let new = refreshed(&s).await;
    let access = field(&new, "access_token");
    let id_token = field(&new, "id_token");
    assert_eq!(
        kid(&access),
        old_access_kid,
        "access tokens are still signed by the active key"
    );
    assert_eq!(
        kid(&id_token),
        old_id_kid,
        "id_tokens are still signed by the active key"
    );
    assert!(
        !next.contains(&kid(&access)) && !next.contains(&kid(&id_token)),
        "the next keys do not sign yet"
    );
    assert_eq!(userinfo_status(&s.app, &access).await, 200);
    verify_id_token(&s, &id_token, None)
        .await
        .expect("the id_token verifies");
}

#[tokio::test]
async fn after_an_immediate_rotation_new_tokens_are_signed_with_a_new_key() {
    let s = signed_in().await;
    let before = jwks_kids(&s.app).await;

    s.app.rotate_keys(0).await;
    until_rotation_seen(&s.app, &before).await;

    let new = refreshed(&s).await;
    let access = field(&new, "access_token");
    let id_token = field(&new, "id_token");
    let after = jwks_kids(&s.app).await;
    for (what, token, alg) in [
        ("access token", &access, "ES256"),
        ("id_token", &id_token, "RS256"),
    ] {
        let header = header(token);
        assert_eq!(header["alg"], alg, "{what}: {header}");
        let kid = kid(token);
        assert!(
            !before.contains(&kid),
            "the {what} is signed by a key that did not exist before: {kid}"
        );
        assert!(after.contains(&kid), "the {what}'s key is published: {kid}");
    }
    assert_eq!(
        userinfo_status(&s.app, &access).await,
        200,
        "the new access token is accepted"
    );
    verify_id_token(&s, &id_token, None)
        .await
        .expect("the new id_token verifies with the published keys");
}

#[tokio::test]
async fn an_access_token_signed_by_a_key_outside_the_jwks_is_refused() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

    let s = signed_in().await;
    let access = field(&s.tokens, "access_token");
    assert_eq!(userinfo_status(&s.app, &access).await, 200);
    let payload = access.split('.').nth(1).unwrap();
    let stranger = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let forge = |kid: &str| {
        let header = serde_json::json!({"alg": "ES256", "typ": "at+jwt", "kid": kid});
        let input = format!("{}.{payload}", b64url(header.to_string()));
        let signature = stranger
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", b64url(signature))
    };
    assert_eq!(
        userinfo_status(&s.app, &forge(&kid(&access))).await,
        401,
        "a published kid with another key's signature"
    );
    assert_eq!(
        userinfo_status(&s.app, &forge("made-up-kid")).await,
        401,
        "an unknown kid"
    );
}

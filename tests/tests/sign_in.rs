//! A full sign-in through the real login page with the `openidconnect` crate as relying party:
//! discovery → authorize → login → code → token → id_token verified → userinfo → refresh
//! (rotated) → introspection → revocation → RP-initiated logout.

use idp::keys::SigningAlg;
use integration_tests::rp::{self, algs};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, confidential_client, get, location, provider, public_client,
    urlencode,
};
use openidconnect::core::{CoreClient, CoreIdTokenVerifier};
use openidconnect::{
    AccessTokenHash, ClientId, IntrospectionUrl, OAuth2TokenResponse, RedirectUrl, RevocationUrl,
    TokenIntrospectionResponse, TokenResponse,
};

/// Signs a user in with a fresh client `client_id`, then uses and ends everything it got.
async fn full_sign_in(client_id: &str, alg: SigningAlg, public: bool) {
    let registration = if public {
        public_client(client_id, CALLBACK, alg)
    } else {
        confidential_client(client_id, CALLBACK, alg)
    };
    let Provider {
        app,
        secret,
        metadata,
    } = provider(registration).await;
    let sub = app
        .add_user(&format!("IP{}", &client_id.len() * 1000 + 7))
        .await;
    let username = format!("ip{}", &client_id.len() * 1000 + 7); // case-insensitive
    let http = rp::http(&app);
    let client = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(client_id.into()),
        rp::secret(secret),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
    .set_introspection_url(IntrospectionUrl::new(app.url("/introspect")).unwrap())
    .set_revocation_url(RevocationUrl::new(app.url("/revoke")).unwrap());

    let started = rp::start(
        &metadata,
        client_id,
        CALLBACK,
        &["openid", "profile", "email"],
    );
    let browser = app.new_browser();
    let callback = rp::sign_in(&browser, &app, started.url.as_str(), &username, PASSWORD).await;
    let code = rp::code_from(&callback, &app, &started.state);

    let tokens = client
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http)
        .await
        .expect("the code exchange succeeds");
    let verifier: CoreIdTokenVerifier = client.id_token_verifier().set_allowed_algs(algs(alg));
    let id_token = tokens.id_token().expect("an id_token");
    let claims = id_token
        .claims(&verifier, &started.nonce)
        .expect("signature, nonce, aud, iss and exp verify");
    assert_eq!(
        claims.subject().as_str(),
        sub,
        "sub is the opaque account id, never the username"
    );
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims.access_token_hash(),
        Some(&expected_hash),
        "at_hash binds the access token"
    );
    assert!(claims.auth_time().is_some(), "auth_time is present");

    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo answers");
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(
        info.given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
        Some("Marie")
    );

    let refresh = tokens.refresh_token().expect("a refresh token").clone();
    let rotated = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh works");
    let next = rotated
        .refresh_token()
        .expect("a new refresh token")
        .clone();
    assert_ne!(next.secret(), refresh.secret(), "the refresh token rotates");

    if !public {
        let introspection = client
            .introspect(rotated.access_token())
            .request_async(&http)
            .await
            .unwrap();
        assert!(introspection.active(), "a fresh access token is active");
    }
    client
        .revoke_token(openidconnect::core::CoreRevocableToken::from(next.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("revocation answers 200");
    if !public {
        let after = client
            .introspect(rotated.access_token())
            .request_async(&http)
            .await
            .unwrap();
        assert!(
            !after.active(),
            "revoking the refresh token revokes its grant's access tokens"
        );
    }
    let refused = client
        .exchange_refresh_token(&next)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(refused.is_err(), "a revoked refresh token is refused");

    let logout = format!(
        "{}?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
        app.url("/logout"),
        id_token,
        urlencode(&format!("{CALLBACK}/after-logout"))
    );
    let response = get(&browser, &logout).await;
    assert_eq!(
        response.status(),
        303,
        "logout with a valid hint needs no confirmation"
    );
    assert_eq!(
        location(&response),
        format!("{CALLBACK}/after-logout?state=bye")
    );
    let again = rp::start(&metadata, client_id, CALLBACK, &["openid"]);
    let again = get(&browser, again.url.as_str()).await;
    assert!(
        location(&again).starts_with("/login"),
        "after logout the session is gone"
    );
}

#[tokio::test]
async fn a_confidential_es256_client_signs_a_user_in_end_to_end() {
    full_sign_in("portal-es256", SigningAlg::Es256, false).await;
}

#[tokio::test]
async fn a_confidential_rs256_client_signs_a_user_in_end_to_end() {
    full_sign_in("billing-rs256", SigningAlg::Rs256, false).await;
}

#[tokio::test]
async fn a_public_pkce_client_signs_a_user_in_end_to_end() {
    full_sign_in("spa", SigningAlg::Rs256, true).await;
}

#[tokio::test]
async fn an_eddsa_client_gets_an_id_token_it_can_verify() {
    full_sign_in("selat-eddsa", SigningAlg::EdDsa, false).await;
}

#[tokio::test]
async fn a_service_client_gets_a_token_by_client_credentials() {
    let Provider {
        app,
        secret,
        metadata,
    } = provider(confidential_client("notices", CALLBACK, SigningAlg::Rs256)).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("notices".into()),
        rp::secret(secret),
    )
    .set_introspection_url(IntrospectionUrl::new(app.url("/introspect")).unwrap());
    let http = rp::http(&app);
    let tokens = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(openidconnect::Scope::new("api".into()))
        .request_async(&http)
        .await
        .expect("client_credentials works");
    assert!(
        tokens.refresh_token().is_none(),
        "no refresh token for client_credentials"
    );
    let introspection = client
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(introspection.active());
    assert_eq!(introspection.sub(), Some("notices"));
}

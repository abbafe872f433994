//! The messaging service as a relying party (the demo of `scripts/dev`): a person signs in on
//! the idp's login page and lands back on messaging, signed in; logout goes through the idp.

use idp::keys::SigningAlg;
use integration_tests::page::text;
use integration_tests::{PASSWORD, TestApp, confidential_client, get, location, login, spawn_app};

/// Registers messaging as a client of `app` and serves it over TLS; returns its URL.
async fn start_messaging(app: &TestApp, alg: SigningAlg) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let rp_url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let mut registration = confidential_client("messaging", &format!("{rp_url}/callback"), alg);
    registration.post_logout_redirect_uris = vec![format!("{rp_url}/")];
    let secret = app.register_client(registration).await.unwrap();
    let dir = &app.deployment.dir;
    std::fs::write(dir.join("messaging.secret"), secret).unwrap();
    std::fs::write(dir.join("ca.pem"), &app.deployment.ca_pem).unwrap();
    let auth = messaging::auth::Auth::discover(messaging::auth::AuthConfig {
        issuer: app.issuer.clone(),
        public_url: rp_url.clone(),
        client_id: "messaging".into(),
        client_secret_file: dir.join("messaging.secret"),
        ca_file: Some(dir.join("ca.pem")),
    })
    .await
    .expect("messaging discovers the idp");
    let tls = idp::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    let router = messaging::router(Some(auth));
    tokio::spawn(messaging::serve_tls(
        listener,
        router,
        tls,
        std::future::pending(),
    ));
    rp_url
}

#[tokio::test]
async fn a_person_signs_in_to_the_messaging_service_through_the_idp() {
    let app = spawn_app().await;
    let rp_url = start_messaging(&app, SigningAlg::Es256).await;
    app.add_user("IP77777").await;
    let browser = app.new_browser();
    let home = text(&browser, format!("{rp_url}/")).await;
    assert!(home.contains("Se connecter"), "signed out at first: {home}");

    let to_idp = get(&browser, format!("{rp_url}/login")).await;
    assert_eq!(to_idp.status(), 303);
    let authorize = location(&to_idp);
    assert!(
        authorize.starts_with(&app.url("/authorize")),
        "messaging sends the browser to the idp: {authorize}"
    );
    let back = login::sign_in(&app, &browser, &authorize, "IP77777", PASSWORD).await;
    let callback = location(&back);
    assert!(
        callback.starts_with(&format!("{rp_url}/callback?")),
        "back to messaging: {callback}"
    );
    let signed_in = get(&browser, &callback).await;
    assert_eq!(
        location(&signed_in),
        "/",
        "the callback exchanges the code and goes home"
    );
    let home = text(&browser, format!("{rp_url}/")).await;
    assert!(
        home.contains("Bonjour Marie Tremblay (IP77777)"),
        "the id_token's names are shown: {home}"
    );

    let out = get(&browser, format!("{rp_url}/logout")).await;
    let end_session = location(&out);
    assert!(
        end_session.starts_with(&app.url("/logout?id_token_hint=")),
        "logout goes through the idp: {end_session}"
    );
    let ended = get(&browser, &end_session).await;
    assert_eq!(
        location(&ended),
        format!("{rp_url}/"),
        "the idp sends the user back to messaging"
    );
}

#[tokio::test]
async fn a_callback_with_a_forged_state_is_refused() {
    let app = spawn_app().await;
    let rp_url = start_messaging(&app, SigningAlg::Rs256).await;
    let browser = app.new_browser();
    let _ = get(&browser, format!("{rp_url}/login")).await;
    let forged = get(&browser, format!("{rp_url}/callback?code=abc&state=forged")).await;
    assert_eq!(
        forged.status(),
        400,
        "a state that is not this browser's login is refused"
    );
}

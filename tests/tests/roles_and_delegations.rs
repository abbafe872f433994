//! Roles and delegations in tokens (issue 9): what `idp users grant` and `idp delegations
//! grant` record reaches the `roles` and `acts_for` claims of the access token, the id_token,
//! userinfo and introspection; a revoked role or delegation is gone from the next refresh.

use idp::admin::delegations::Delegation;
use idp::admin::{delegations, roles};
use idp::domain::Role;
use idp::keys::SigningAlg;
use integration_tests::jwt::claims;
use integration_tests::oauth::{self, field};
use integration_tests::rp;
use integration_tests::{CALLBACK, PASSWORD, Provider, TestApp, confidential_client, provider};
use serde_json::{Value, json};

const CLIENT: &str = "messaging";
const STAFF: &str = "CE31415";
const PROFESSIONAL: &str = "IP27182";
const OTHER_PROFESSIONAL: &str = "IP16180";
/// Signs `username` in at [`CLIENT`] with `openid profile`: the token response.
async fn tokens_for(p: &Provider, username: &str) -> Value {
    rp::tokens_for(p, CLIENT, username, PASSWORD).await
}

async fn userinfo(app: &TestApp, access_token: &str) -> Value {
    let response = app
        .new_browser()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn introspect(p: &Provider, token: &str) -> Value {
    p.app
        .new_browser()
        .post(p.app.url("/introspect"))
        .basic_auth(CLIENT, p.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn audit_kinds(app: &TestApp) -> Vec<String> {
    let db = app.deployment.db.get().await.unwrap();
    db.query("SELECT kind FROM audit_events ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn roles_and_delegations_reach_every_token_and_a_revocation_ends_them_at_the_next_refresh() {
    let p = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Es256)).await;
    let app = &p.app;
    app.add_account(STAFF, "staff", None).await;
    let professional = app.add_user(PROFESSIONAL).await;
    app.add_user(OTHER_PROFESSIONAL).await;
    app.register_client(confidential_client("billing", CALLBACK, SigningAlg::Es256))
        .await;
    {
        let mut db = app.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        roles::grant(&tx, STAFF, Role::MessagingAgent)
            .await
            .unwrap();
        for (professional, service) in [
            (PROFESSIONAL, Some(CLIENT)),
            (OTHER_PROFESSIONAL, Some("billing")),
        ] {
            let delegation = Delegation {
                staff: STAFF,
                professional,
                service,
            };
            delegations::grant(&tx, delegation).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    let kinds = audit_kinds(app).await;
    assert!(kinds.iter().any(|k| k == "role_granted"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| *k == "delegation_granted").count(),
        2,
        "{kinds:?}"
    );

    let tokens = tokens_for(&p, STAFF).await;
    let expected_acts_for =
        json!([{ "sub": professional, "username": PROFESSIONAL, "name": "Marie Tremblay" }]);
    let access = claims(&field(&tokens, "access_token"));
    assert_eq!(access["roles"], json!(["messaging-agent"]), "{access}");
    assert_eq!(
        access["acts_for"], expected_acts_for,
        "only the delegation for this service: {access}"
    );
    let id_token = claims(&field(&tokens, "id_token"));
    assert_eq!(id_token["roles"], json!(["messaging-agent"]), "{id_token}");
    assert_eq!(id_token["acts_for"], expected_acts_for, "{id_token}");
    let info = userinfo(app, &field(&tokens, "access_token")).await;
    assert_eq!(info["roles"], json!(["messaging-agent"]), "{info}");
    assert_eq!(info["acts_for"], expected_acts_for, "{info}");
    let introspected = introspect(&p, &field(&tokens, "access_token")).await;
    assert_eq!(introspected["active"], json!(true));
    assert_eq!(
        introspected["acts_for"], expected_acts_for,
        "{introspected}"
    );

    let plain = tokens_for(&p, PROFESSIONAL).await;
    let access = claims(&field(&plain, "access_token"));
    assert!(
        access.get("roles").is_none() && access.get("acts_for").is_none(),
        "a professional without roles carries neither claim: {access}"
    );

    {
        let mut db = app.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        roles::revoke(&tx, STAFF, Role::MessagingAgent)
            .await
            .unwrap();
        let delegation = Delegation {
            staff: STAFF,
            professional: PROFESSIONAL,
            service: Some(CLIENT),
        };
        delegations::revoke(&tx, delegation).await.unwrap();
        tx.commit().await.unwrap();
    }
    let kinds = audit_kinds(app).await;
    assert!(
        kinds.iter().any(|k| k == "role_revoked")
            && kinds.iter().any(|k| k == "delegation_revoked"),
        "{kinds:?}"
    );
    let secret = p.secret.as_deref().unwrap();
    let (status, refreshed) =
        oauth::refresh(app, CLIENT, secret, &field(&tokens, "refresh_token")).await;
    assert_eq!(status, 200, "{refreshed}");
    let access = claims(&field(&refreshed, "access_token"));
    assert!(
        access.get("roles").is_none() && access.get("acts_for").is_none(),
        "the next refresh carries neither the revoked role nor the revoked delegation: {access}"
    );
}

#[tokio::test]
async fn a_delegation_of_a_disabled_professional_is_not_carried() {
    let p = provider(confidential_client(CLIENT, CALLBACK, SigningAlg::Es256)).await;
    let app = &p.app;
    app.add_account(STAFF, "staff", None).await;
    let professional = app.add_user(PROFESSIONAL).await;
    {
        let mut db = app.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let delegation = Delegation {
            staff: STAFF,
            professional: PROFESSIONAL,
            service: None,
        };
        delegations::grant(&tx, delegation).await.unwrap();
        tx.execute(
            "UPDATE accounts SET disabled_at = now() WHERE id = $1",
            &[&professional.parse::<uuid::Uuid>().unwrap()],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let tokens = tokens_for(&p, STAFF).await;
    let access = claims(&field(&tokens, "access_token"));
    assert!(access.get("acts_for").is_none(), "{access}");
}

//! Against a real Postgres (`IDP_TEST_DATABASE_URL`, default the local `postgres` database),
//! in a throw-away schema built by the real migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_postgres::NoTls;

use super::*;
use crate::config::{DatabaseConfig, Secret32};

fn url() -> String {
    std::env::var("IDP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn kek() -> Secret32 {
    Secret32::new(Box::new([9; 32]))
}

fn database(schema: &str) -> DatabaseConfig {
    DatabaseConfig {
        url: url(),
        pool_size: 4,
        schema: Some(schema.to_owned()),
    }
}

fn pool(schema: &str) -> Pool {
    crate::store::pool(&database(schema)).unwrap()
}

async fn ensure_in_tx(pool: &Pool, algs: &[SigningAlg]) {
    let mut client = pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    ensure_keys(&tx, &kek(), algs).await.unwrap();
    tx.commit().await.unwrap();
}

fn kids(jwks: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(jwks).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_lifecycle() {
    // Real Postgres is part of the test environment (scripts/test starts it): no skipping.
    let url = url();
    let (admin, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("postgres at {url} is required: {e}"));
    tokio::spawn(connection);
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).unwrap();
    let schema = format!(
        "keys_test_{}",
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    crate::store::migrate(&pool(&schema), &database(&schema))
        .await
        .unwrap();

    let result = tokio::spawn(scenario(schema.clone())).await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic.into_panic());
    }
}

async fn scenario(schema: String) {
    let pool = pool(&schema);
    let all = SigningAlg::ALL;

    // Two nodes starting at once, each in a transaction: one key per alg.
    tokio::join!(ensure_in_tx(&pool, &all), ensure_in_tx(&pool, &all));
    ensure_in_tx(&pool, &all).await;
    let client = pool.get().await.unwrap();
    let listed = list(&client).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|k| k.state == KeyState::Active));
    let first: Vec<String> = listed.iter().map(|k| k.kid.clone()).collect();

    // Stored public_jwk is the public key only.
    let row = client
        .query_one(
            "SELECT public_jwk FROM signing_keys WHERE alg = 'ES256'",
            &[],
        )
        .await
        .unwrap();
    let jwk: serde_json::Value = row.get(0);
    assert_eq!(jwk["crv"], "P-256");
    assert!(jwk.get("d").is_none());

    // A node with a long cache, and one that reads on every call.
    let cached = KeyRing::new(pool.clone(), kek(), 3600);
    let eager = KeyRing::new(pool.clone(), kek(), 0);
    let mut old_tokens = Vec::new();
    for alg in all {
        let signer = cached.signer(alg).await.unwrap();
        assert!(first.contains(&signer.kid().to_owned()));
        let jws = signer
            .sign_jwt("JWT", &serde_json::json!({"alg": alg}))
            .unwrap();
        assert!(eager.verify(&jws).await.is_ok());
        old_tokens.push(jws);
    }
    assert_eq!(kids(&cached.jwks().await.unwrap()).len(), 3);

    // Scheduled rotation: new keys published at once, not signing yet.
    let hour = Duration::from_secs(3600);
    let mut c = pool.get().await.unwrap();
    let tx = c.transaction().await.unwrap();
    let scheduled = rotate(&tx, &kek(), &all, hour, Duration::from_secs(600))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(scheduled.len(), 3);
    assert!(scheduled.iter().all(|k| k.state == KeyState::Next));
    assert_eq!(kids(&eager.jwks().await.unwrap()).len(), 6);
    for alg in all {
        assert!(first.contains(&eager.signer(alg).await.unwrap().kid().to_owned()));
    }
    let listed = list(&client).await.unwrap();
    for info in &listed {
        if first.contains(&info.kid) {
            let new = scheduled.iter().find(|k| k.alg == info.alg).unwrap();
            assert_eq!(info.state, KeyState::Active);
            assert_eq!(
                info.retire_at,
                Some(new.activate_at + chrono::TimeDelta::seconds(600))
            );
        } else {
            assert_eq!(info.state, KeyState::Next);
        }
    }
    // ensure_keys is content: every alg has an active and a next key.
    ensure_in_tx(&pool, &all).await;
    assert_eq!(list(&client).await.unwrap().len(), 6);

    // Immediate rotation on "another node": the cached ring learns the kid on demand.
    let tx = c.transaction().await.unwrap();
    let now = rotate(&tx, &kek(), &[SigningAlg::EdDsa], Duration::ZERO, hour)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(now[0].state, KeyState::Active);
    let fresh = eager.signer(SigningAlg::EdDsa).await.unwrap();
    assert_eq!(fresh.kid(), now[0].kid);
    let jws = fresh.sign_jwt("JWT", &1).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await; // past MIN_FORCED_RELOAD
    assert_eq!(cached.verify(&jws).await.unwrap(), b"1");
    assert_eq!(
        cached.signer(SigningAlg::EdDsa).await.unwrap().kid(),
        now[0].kid
    );
    assert_eq!(kids(&cached.jwks().await.unwrap()).len(), 7);

    // Retire the first keys: their tokens stop verifying and they leave the JWKS.
    client
        .execute(
            "UPDATE signing_keys SET retire_at = now() - interval '1 second' WHERE kid = ANY($1)",
            &[&first],
        )
        .await
        .unwrap();
    for jws in &old_tokens {
        assert!(matches!(
            eager.verify(jws).await,
            Err(KeyError::InvalidToken)
        ));
    }
    let published = kids(&eager.jwks().await.unwrap());
    assert_eq!(published.len(), 4);
    assert!(first.iter().all(|k| !published.contains(k)));
    let states: Vec<KeyState> = list(&client)
        .await
        .unwrap()
        .iter()
        .map(|k| k.state)
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == KeyState::Retired).count(),
        3
    );

    // A wrong key-encryption key cannot load the set.
    let wrong = KeyRing::new(pool.clone(), Secret32::new(Box::new([1; 32])), 0);
    assert!(matches!(wrong.reload().await, Err(KeyError::Unseal { .. })));
    assert!(wrong.jwks().await.is_err());
}

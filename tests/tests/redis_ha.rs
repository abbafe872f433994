//! High-availability Redis (issue 11): the idp and the messaging service on a real Redis
//! Cluster (three masters, three replicas) and a real Sentinel set, chosen by the URL alone;
//! every script keeps its keys in one hash slot; logins carry on through a failover in the
//! middle of a load, failing closed (503, never 500) while no master serves their keys.

use std::time::{Duration, Instant};

use figment::Figment;
use figment::providers::Serialized;
use idp::keys::SigningAlg;
use integration_tests::load::{LoginLoad, judge};
use integration_tests::login::logs_in;
use integration_tests::redis_servers::{RedisCluster, RedisSentinels, cli};
use integration_tests::{
    CALLBACK, PASSWORD, confidential_client, oauth, provider_with, rp, spawn_app_with,
};
use messaging::store::quota::{Decision, Quotas};
use service_kit::redis::RedisConfig;

/// The idp on `url`, with a lockout quick to observe (two failures lock).
fn on(url: String) -> impl Fn(Figment) -> Figment {
    move |f| {
        f.merge(Serialized::default("redis.url", url.clone()))
            .merge(Serialized::default("lockout.max_failures", 2))
    }
}

#[tokio::test]
async fn every_redis_script_of_both_services_runs_on_a_cluster() {
    let cluster = RedisCluster::start().await;
    let p = provider_with(
        confidential_client("portal", CALLBACK, SigningAlg::Es256),
        on(cluster.url()),
    )
    .await;
    let secret = p.secret.clone().unwrap();
    p.app.add_user("IP33001").await;

    // Sign-in (lock check, per-IP window, parked request) and the code's one-time redemption.
    let started = rp::start(&p.metadata, "portal", CALLBACK, &["openid", "profile"]);
    let browser = p.app.new_browser();
    let callback = rp::sign_in(&browser, &p.app, started.url.as_str(), "IP33001", PASSWORD).await;
    let code = rp::code_from(&callback, &p.app, &started.state);
    let verifier = started.verifier.secret();
    let (status, tokens) = oauth::redeem(&p.app, "portal", &secret, code.secret(), verifier).await;
    assert_eq!(status, 200, "{tokens}");

    // The revocation check reads three keys with three hash tags.
    let access = oauth::field(&tokens, "access_token");
    assert!(oauth::active(&p.app, "portal", &secret, &access).await);
    let (status, refreshed) = oauth::refresh(
        &p.app,
        "portal",
        &secret,
        &oauth::field(&tokens, "refresh_token"),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");

    // A replayed code is refused and revokes what it issued (RFC 6749 §4.1.2).
    let (status, replay) = oauth::redeem(&p.app, "portal", &secret, code.secret(), verifier).await;
    assert_eq!(status, 400, "a code serves once: {replay}");
    assert_eq!(replay["error"], "invalid_grant");
    assert!(!oauth::active(&p.app, "portal", &secret, &access).await);

    // The lockout script: two failures lock, the right password is then refused.
    p.app.add_user("IP33002").await;
    for _ in 0..2 {
        assert!(!logs_in(&p.app, "IP33002", "wrong password!").await);
    }
    assert!(!logs_in(&p.app, "IP33002", PASSWORD).await, "locked");
    assert!(logs_in(&p.app, "IP33001", PASSWORD).await, "others sign in");

    // The messaging service's quota script.
    let quotas = Quotas::open(&RedisConfig::new(&cluster.url(), "test:ha:")).unwrap();
    let sub = uuid::Uuid::new_v4().to_string();
    for _ in 0..2 {
        let taken = quotas.take("send", &sub, 2, 10).await.unwrap();
        assert_eq!(taken, Decision::Allowed);
    }
    let third = quotas.take("send", &sub, 2, 10).await.unwrap();
    assert!(matches!(third, Decision::Refused { .. }), "{third:?}");
}

#[tokio::test]
async fn logins_carry_on_when_a_cluster_master_is_killed_under_load() {
    let mut cluster = RedisCluster::start().await;
    let app = spawn_app_with(on(cluster.url())).await;
    let load = LoginLoad::start(&app, 3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Every login counts in the per-IP window, whose hash tag is the address: kill its master.
    let victim = cluster.master_of("{127.0.0.1}");
    let fault = Instant::now();
    cluster.nodes[victim].kill();
    cluster.wait_until_healthy().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let answers = load.finish().await;

    let recovered = judge(&answers, fault, "cluster master killed");
    assert!(
        recovered < Duration::from_secs(20),
        "recovered in {recovered:?}"
    );
    assert!(
        logs_in(&app, "IP34010", PASSWORD).await,
        "and after the run"
    );
}

#[tokio::test]
async fn logins_carry_on_through_a_sentinel_failover_under_load() {
    let sentinels = RedisSentinels::start().await;
    let app = spawn_app_with(on(sentinels.url())).await;
    assert_eq!(sentinels.master_port(), sentinels.master.port);
    let load = LoginLoad::start(&app, 3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let fault = Instant::now();
    let answer = cli(
        sentinels.sentinels[0].port,
        &[
            "SENTINEL",
            "FAILOVER",
            integration_tests::redis_servers::MASTER_NAME,
        ],
    );
    assert_eq!(answer.trim(), "OK", "the Sentinel starts a failover");
    let promoted = integration_tests::wait_until(
        Duration::from_secs(30),
        Duration::from_millis(100),
        async || {
            sentinels.master_port() == sentinels.replica.port
                && sentinels.replica.role() == "master"
                && sentinels.master.role() == "slave"
        },
    )
    .await;
    assert!(
        promoted,
        "the replica is the master, the old master its replica"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let answers = load.finish().await;
    let recovered = judge(&answers, fault, "sentinel failover");
    assert!(
        recovered < Duration::from_secs(20),
        "recovered in {recovered:?}"
    );

    // Writes go to the new master: a lock is recorded there and holds.
    app.add_user("IP34020").await;
    for _ in 0..2 {
        assert!(!logs_in(&app, "IP34020", "wrong password!").await);
    }
    assert!(!logs_in(&app, "IP34020", PASSWORD).await, "locked");
    let locks = cli(
        sentinels.replica.port,
        &["KEYS", &format!("{}lock:*", app.deployment.prefix)],
    );
    assert!(!locks.trim().is_empty(), "the lock is on the new master");
}

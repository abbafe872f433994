//! The lockout policy (issue 3): failures counted atomically in Redis by every node, temporary
//! locks that double, then a lock recorded in Postgres that only the help desk lifts.

use std::time::Duration;

use figment::providers::Serialized;
use integration_tests::login::logs_in;
use integration_tests::{PASSWORD, TestApp, redis_url, spawn_app_with};

/// An idp whose policy is quick to observe: 2 failures lock for 1 s, then 2 s, and a third
/// lock waits for the help desk.
async fn quick_lockout() -> TestApp {
    spawn_app_with(|f| {
        f.merge(Serialized::default("lockout.max_failures", 2))
            .merge(Serialized::default("lockout.lock_secs", 1))
            .merge(Serialized::default("lockout.max_temporary_locks", 2))
    })
    .await
}

async fn fail_twice(app: &TestApp, username: &str) {
    for _ in 0..2 {
        assert!(!logs_in(app, username, "wrong password!").await);
    }
}

#[tokio::test]
async fn temporary_locks_double_then_the_account_waits_for_the_help_desk() {
    let app = quick_lockout().await;
    app.add_user("IP31001").await;

    fail_twice(&app, "IP31001").await;
    assert!(
        !logs_in(&app, "IP31001", PASSWORD).await,
        "locked: even the right password is refused"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;

    fail_twice(&app, "IP31001").await; // the second lock lasts 2 s
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        !logs_in(&app, "IP31001", PASSWORD).await,
        "1.3 s into a 2 s lock: still locked"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;

    fail_twice(&app, "IP31001").await; // a third lock: past max_temporary_locks
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        !logs_in(&app, "IP31001", PASSWORD).await,
        "no lock length ends a help-desk lock"
    );
    let db = app.deployment.db.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT locked_at IS NOT NULL FROM accounts WHERE username = 'IP31001'",
            &[],
        )
        .await
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "the help-desk lock is recorded in Postgres"
    );
}

#[tokio::test]
async fn a_help_desk_lock_survives_a_redis_flush_and_only_the_unlock_lifts_it() {
    let app = quick_lockout().await;
    app.add_user("IP31002").await;
    for _ in 0..3 {
        fail_twice(&app, "IP31002").await;
        tokio::time::sleep(Duration::from_millis(2100)).await;
    }
    flush_redis_prefix(&app.deployment.prefix).await;
    assert!(
        !logs_in(&app, "IP31002", PASSWORD).await,
        "Postgres still says locked"
    );

    let db = app.deployment.db.get().await.unwrap();
    let kv = idp::store::Kv::connect(&redis_url(), &app.deployment.prefix)
        .await
        .unwrap();
    idp::admin::users::unlock(&db, &kv, "ip31002")
        .await
        .expect("the help desk unlocks by any name, any case");
    assert!(logs_in(&app, "IP31002", PASSWORD).await, "unlocked");
    let unknown = idp::admin::users::unlock(&db, &kv, "IP99999").await;
    assert!(
        unknown.is_err(),
        "unlocking an unknown name is an error, not a silent success"
    );
}

#[tokio::test]
async fn fifty_concurrent_wrong_passwords_are_counted_exactly_fifty() {
    let app = spawn_app_with(|f| f.merge(Serialized::default("lockout.max_failures", 1000))).await;
    let sub = app.add_user("IP31003").await;
    let attempts = (0..50).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { logs_in(&app, "IP31003", "not the password").await })
    });
    for attempt in attempts {
        assert!(!attempt.await.unwrap());
    }
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = format!("{}fail:{{{sub}}}", app.deployment.prefix);
    let count: u32 = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(count, 50, "the atomic counter lost or doubled no failure");
}

/// Deletes every key of this deployment (never another test's).
async fn flush_redis_prefix(prefix: &str) {
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: u32 = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
}

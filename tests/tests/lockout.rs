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
    app.forget_redis_data().await;
    assert!(
        !logs_in(&app, "IP31002", PASSWORD).await,
        "Postgres still says locked"
    );

    let db = app.deployment.db.get().await.unwrap();
    let kv = idp::store::Kv::open(&idp::config::RedisConfig::new(
        &redis_url(),
        &app.deployment.prefix,
    ))
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

/// How many lock events the audit trail holds for `username`, and of which kind.
async fn lock_events(app: &TestApp, username: &str) -> Vec<String> {
    let db = app.deployment.db.get().await.unwrap();
    db.query(
        "SELECT e.detail->>'reason' FROM audit_events e JOIN accounts a ON a.id = e.account_id \
         WHERE a.username = $1 AND e.kind = 'login' AND e.outcome = 'locked' ORDER BY e.at",
        &[&username],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// How many lock notices were written for `username`'s address.
async fn lock_mails(app: &TestApp, username: &str) -> i64 {
    let db = app.deployment.db.get().await.unwrap();
    let address = format!("{}@example.org", username.to_lowercase());
    db.query_one(
        "SELECT count(*) FROM outbox WHERE recipient = $1 AND notice->>'kind' = 'account_locked'",
        &[&address],
    )
    .await
    .unwrap()
    .get(0)
}

/// Wrong passwords for one name, all sent at once; each is refused.
async fn burst(app: &TestApp, username: &'static str, n: usize) {
    let attempts = (0..n).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { logs_in(&app, username, "not the password").await })
    });
    for attempt in attempts {
        assert!(!attempt.await.unwrap(), "a wrong password never signs in");
    }
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_makes_one_lock_one_event_and_one_mail() {
    // The default policy's shape (5 failures, then locks that double, then the help desk),
    // with one temporary lock allowed so a burst that escalated would show at once.
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("lockout.max_failures", 5))
            .merge(Serialized::default("lockout.lock_secs", 900))
            .merge(Serialized::default("lockout.max_temporary_locks", 1))
    })
    .await;
    app.add_user("IP31004").await;

    burst(&app, "IP31004", 20).await;
    burst(&app, "IP31004", 30).await;

    assert_eq!(
        lock_events(&app, "IP31004").await,
        vec!["temporary_900s".to_owned()],
        "fifty attempts racing one lock make one temporary lock, never an escalation"
    );
    assert_eq!(lock_mails(&app, "IP31004").await, 1, "one lock, one e-mail");
    let db = app.deployment.db.get().await.unwrap();
    let help_desk: bool = db
        .query_one(
            "SELECT locked_at IS NOT NULL FROM accounts WHERE username = 'IP31004'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!help_desk, "a burst never reaches the help-desk lock");
}

#[tokio::test]
async fn failures_during_a_lock_do_not_count_toward_the_next_one() {
    let app = quick_lockout().await;
    app.add_user("IP31005").await;
    fail_twice(&app, "IP31005").await; // locked for 1 s
    for _ in 0..6 {
        assert!(!logs_in(&app, "IP31005", "wrong password!").await);
    }
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        !logs_in(&app, "IP31005", "wrong password!").await,
        "one failure after the lock"
    );
    assert!(
        logs_in(&app, "IP31005", PASSWORD).await,
        "the six failures during the lock were not carried over into a second lock"
    );
    assert_eq!(lock_events(&app, "IP31005").await.len(), 1);
    assert_eq!(lock_mails(&app, "IP31005").await, 1);
}

#[tokio::test]
async fn a_disabled_account_is_neither_counted_nor_mailed_as_locked() {
    let app = quick_lockout().await;
    app.add_user("IP31006").await;
    let db = app.deployment.db.get().await.unwrap();
    db.execute(
        "UPDATE accounts SET disabled_at = now() WHERE username = 'IP31006'",
        &[],
    )
    .await
    .unwrap();
    burst(&app, "IP31006", 10).await;
    assert!(
        lock_events(&app, "IP31006").await.is_empty(),
        "no lock event for a disabled account"
    );
    assert_eq!(lock_mails(&app, "IP31006").await, 0, "no lock e-mail");
    let failures: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events e JOIN accounts a ON a.id = e.account_id \
             WHERE a.username = 'IP31006' AND e.detail->>'reason' = 'disabled'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(failures, 10, "each attempt is still audited");
}

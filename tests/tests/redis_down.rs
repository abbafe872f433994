//! When Redis is unreachable the lock cannot be checked, so password checks fail closed: a
//! clear, translated 503 page with Retry-After, never a login that skipped the lockout.

use std::time::Duration;

use figment::providers::Serialized;
use integration_tests::redis_servers::RedisServer;
use integration_tests::{PASSWORD, spawn_app_with, wait_until};

#[tokio::test]
async fn with_redis_down_a_login_is_refused_with_a_clear_503_not_let_through() {
    let mut redis = RedisServer::start().await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(move |f| f.merge(Serialized::default("redis.url", url.clone()))).await;
    app.add_user("IP32001").await;
    let browser = app.new_browser();
    let page = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the page itself needs no Redis");
    let html = page.text().await.unwrap();

    redis.kill();
    let answer =
        integration_tests::login::submit_form(&app, &browser, &html, "IP32001", PASSWORD).await;
    assert_eq!(
        answer.status(),
        503,
        "fail closed: the lock cannot be checked"
    );
    assert!(
        answer.headers().contains_key("retry-after"),
        "the browser is told when to retry"
    );
    let text = answer.text().await.unwrap();
    assert!(text.contains("lang=\"fr-CA\""), "a French page");
    assert!(
        text.contains("temporairement indisponible"),
        "the message says why: {text}"
    );
}

/// A "Redis" that accepts connections and never answers: the worst outage, where nothing is
/// refused and every wait must be cut short by our own timeouts.
async fn silent_redis() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

/// Logs in on a fresh browser; the status and how long the answer took.
async fn timed_login(app: &integration_tests::TestApp) -> (u16, Duration) {
    let started = std::time::Instant::now();
    let browser = app.new_browser();
    let answer =
        integration_tests::login::log_in(app, &browser, "/login", "IP32002", PASSWORD).await;
    (answer.status().as_u16(), started.elapsed())
}

#[tokio::test]
async fn a_redis_that_hangs_costs_a_login_a_bounded_wait_then_fails_fast() {
    // Issue 7: each login waited 7–9 s before its 503. The bound asserted here (2 s, four
    // times the configured command timeout) is a correctness bound, not a speed figure:
    // BENCHMARKS.md measures the real wait.
    let (port, _redis) = silent_redis().await;
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(move |f| f.merge(Serialized::default("redis.url", url.clone()))).await;
    app.add_user("IP32002").await;
    for attempt in 1..=5 {
        let (status, took) = timed_login(&app).await;
        assert_eq!(status, 503, "attempt {attempt}: fail closed");
        assert!(
            took < Duration::from_secs(2),
            "attempt {attempt}: the 503 came after {took:?}"
        );
        if attempt > 1 {
            assert!(
                took < Duration::from_millis(300),
                "attempt {attempt}: Redis is known to be down, the 503 comes at once: {took:?}"
            );
        }
    }
    let ops = reqwest::Client::new();
    let started = std::time::Instant::now();
    let ready = ops.get(app.ops_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready while Redis hangs");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "/readyz answers within a second: {:?}",
        started.elapsed()
    );
    assert_eq!(ready.text().await.unwrap(), "redis unreachable");
}

#[tokio::test]
async fn a_node_starts_with_redis_down_reports_not_ready_and_recovers_when_it_returns() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(move |f| f.merge(Serialized::default("redis.url", url.clone()))).await;
    app.add_user("IP32002").await;
    let ops = reqwest::Client::new();
    let ready = ops.get(app.ops_url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "started, but not ready without Redis");
    assert_eq!(timed_login(&app).await.0, 503, "a login fails closed");

    let mut redis = RedisServer::start_on(port).await;
    let back = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || {
            let ready = ops.get(app.ops_url("/readyz")).send().await.unwrap();
            ready.status() == 200
        },
    )
    .await;
    assert!(back, "ready once Redis answers (the circuit probes again)");
    assert_eq!(timed_login(&app).await.0, 303, "and logins work again");
    redis.kill();
}

#[tokio::test]
async fn a_redis_frozen_on_open_connections_fails_logins_fast_and_the_node_recovers_when_it_thaws()
{
    let redis = RedisServer::start().await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(move |f| f.merge(Serialized::default("redis.url", url.clone()))).await;
    app.add_user("IP32002").await;
    assert_eq!(timed_login(&app).await.0, 303, "connected and working");

    redis.signal("-STOP");
    let (status, first) = timed_login(&app).await;
    assert_eq!(status, 503, "fail closed");
    assert!(first < Duration::from_secs(2), "bounded: {first:?}");
    for attempt in 2..=4 {
        let (status, took) = timed_login(&app).await;
        assert_eq!(status, 503, "attempt {attempt}");
        assert!(
            took < Duration::from_millis(300),
            "attempt {attempt}: Redis is known to be down, the 503 comes at once: {took:?}"
        );
    }
    // Readiness probes Redis again while it hangs, and its ping is cut short (a cancelled
    // probe must not leave the circuit open for good).
    let ops = reqwest::Client::new();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let started = std::time::Instant::now();
        let ready = ops.get(app.ops_url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 503, "not ready while Redis hangs");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    redis.signal("-CONT");
    let back = wait_until(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || {
            ops.get(app.ops_url("/readyz"))
                .send()
                .await
                .unwrap()
                .status()
                == 200
        },
    )
    .await;
    assert!(back, "ready again once Redis answers");
    assert_eq!(timed_login(&app).await.0, 303, "and logins work again");
}

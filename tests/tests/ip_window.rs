//! Password checks per IP are limited across every node (a Redis window beside the
//! per-process tower-governor): nodes behind one load balancer share the count.

use std::time::Duration;

use figment::providers::Serialized;
use integration_tests::login::log_in;
use integration_tests::{PASSWORD, spawn_app_with};

#[tokio::test]
async fn password_checks_from_one_address_are_counted_across_nodes() {
    // The window is a calendar minute: start well inside one so the count cannot reset midway.
    let second = chrono::Utc::now().timestamp() % 60;
    if second > 50 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
    let a = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "rate_limit.password_checks_per_ip_per_minute",
            3,
        ))
    })
    .await;
    let b = a.spawn_peer_node().await;
    a.add_user("IP33001").await;
    for (node, n) in [(&a, 1), (&a, 2), (&b, 3)] {
        let answer = log_in(
            node,
            &node.new_browser(),
            "/login",
            "IP33001",
            "wrong password!",
        )
        .await;
        assert_eq!(answer.status(), 200, "attempt {n} is checked (and refused)");
    }
    // B runs the default limit; A's is 3, and B's attempt counted toward it.
    let fourth = log_in(&a, &a.new_browser(), "/login", "IP33001", PASSWORD).await;
    assert_eq!(
        fourth.status(),
        429,
        "the attempt made on node B counted on node A"
    );
    assert_eq!(fourth.headers()["retry-after"], "60");
    let page = fourth.text().await.unwrap();
    assert!(
        page.contains("lang=\"fr-CA\"") && page.contains("Trop de tentatives"),
        "{page}"
    );
}

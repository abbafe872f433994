//! When Redis is unreachable the lock cannot be checked, so password checks fail closed: a
//! clear, translated 503 page with Retry-After, never a login that skipped the lockout.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use figment::providers::Serialized;
use integration_tests::{PASSWORD, spawn_app_with, wait_until};

/// A private redis-server on a free port, stopped when dropped.
struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child =
            Command::new(std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into()))
                .args([
                    "--port",
                    &port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server is installed (scripts/test ensures it)");
        let up = wait_until(
            Duration::from_secs(10),
            Duration::from_millis(50),
            async || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        )
        .await;
        assert!(up, "the private redis-server answers");
        Self { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn with_redis_down_a_login_is_refused_with_a_clear_503_not_let_through() {
    let mut redis = PrivateRedis::start().await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(move |f| f.merge(Serialized::default("redis.url", url.clone()))).await;
    app.add_user("IP32001").await;
    let browser = app.new_browser();
    let page = browser.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200, "the page itself needs no Redis");
    let html = page.text().await.unwrap();

    redis.stop();
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

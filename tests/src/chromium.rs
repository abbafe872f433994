//! A real headless Chromium through WebDriver (chromedriver) for the page tests: a driver per
//! test, killed with its browser on drop, and bounded helpers for keyboard use.
//!
//! `CHROMEDRIVER` and `CHROMIUM` override the paths (default `/usr/bin/chromedriver` and
//! `/usr/bin/chromium`). Every wait is bounded, so a missing or broken driver fails fast.

use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

use crate::{TestApp, free_port, wait_until};

/// The bound on every wait: driver start, session creation, page loads, redirects.
pub const WAIT: Duration = Duration::from_secs(20);

/// A chromedriver process (and the Chromium it starts) owned by one test; killed on drop, even
/// when the test fails.
pub struct Driver {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port.
    pub async fn start() -> Driver {
        let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("idp-browser-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(dir.join("chromedriver.log")).unwrap();
        let child = Command::new(&path)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Its own process group, so Drop can end chromedriver and its Chromium together.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start chromedriver at {path} (set CHROMEDRIVER): {e}")
            });
        let mut driver = Driver { child, port, dir };
        let listening = wait_until(WAIT, Duration::from_millis(50), async || {
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!(
                    "chromedriver exited at start with {status}:\n{}",
                    driver.log()
                );
            }
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;
        assert!(
            listening,
            "chromedriver did not listen on {port} within {WAIT:?}:\n{}",
            driver.log()
        );
        driver
    }

    /// chromedriver's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("chromedriver.log")).unwrap_or_default()
    }

    /// A WebDriver session with a headless Chromium on a fresh profile.
    pub async fn session(&self) -> Client {
        idp::tls::install_crypto_provider();
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = self.dir.join("profile");
        let capabilities = serde_json::json!({
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--ignore-certificate-errors", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                    "--lang=fr-CA",
                    format!("--user-data-dir={}", profile.display()),
                ],
                // A browser set to Canadian French, as most of the agency's users have.
                "prefs": {"intl": {"accept_languages": "fr-CA,fr"}},
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let mut builder = ClientBuilder::rustls().expect("rustls connector for WebDriver");
        builder.capabilities(capabilities);
        let url = format!("http://127.0.0.1:{}", self.port);
        match tokio::time::timeout(WAIT, builder.connect(&url)).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "no WebDriver session (is {binary} a working Chromium? set CHROMIUM): {e}\n{}",
                self.log()
            ),
            Err(_) => panic!("no WebDriver session within {WAIT:?}:\n{}", self.log()),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is chromedriver's pid (process_group(0)): this reaches only what we started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Awaits a WebDriver command, failing the test after `WAIT`.
pub async fn bounded<T, E: std::fmt::Debug>(
    what: &str,
    command: impl std::future::IntoFuture<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(WAIT, command.into_future()).await {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("{what}: no answer within {WAIT:?}"),
    }
}

/// Presses and releases one key.
pub async fn press(browser: &Client, key: Key) {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    bounded("a key press", browser.perform_actions(actions)).await;
}

/// Types `keys` into the focused element, then presses Tab.
pub async fn type_then_tab(browser: &Client, what: &str, keys: &str) {
    bounded(what, browser.active_element())
        .await
        .send_keys(keys)
        .await
        .unwrap();
    press(browser, Key::Tab).await;
}

/// What has the focus: `tag#id[type]`.
pub async fn focused(browser: &Client) -> String {
    let script = "const e = document.activeElement; \
                  return e.tagName.toLowerCase() + '#' + e.id + '[' + (e.getAttribute('type') || '') + ']';";
    let value = bounded("reading the focus", browser.execute(script, vec![])).await;
    value.as_str().unwrap_or_default().to_owned()
}

/// Types into the field with `id`, once it is on the page.
pub async fn fill(browser: &Client, id: &str, text: &str) {
    let field = bounded(
        id,
        browser.wait().at_most(WAIT).for_element(Locator::Id(id)),
    )
    .await;
    bounded(id, field.send_keys(text)).await;
}

/// Clicks the page's submit button.
pub async fn submit(browser: &Client) {
    let button = bounded(
        "the submit button",
        browser.find(Locator::Css("button[type=submit]")),
    )
    .await;
    bounded("submitting", button.click()).await;
}

/// Waits until the browser is on `path` (query included) of the app; a trailing slash does not
/// count.
pub async fn arrives_at(browser: &Client, app: &TestApp, path: &str) {
    let expected = app.url(path);
    let arrived = wait_until(WAIT, Duration::from_millis(100), async || {
        browser
            .current_url()
            .await
            .is_ok_and(|u| u.as_str().trim_end_matches('/') == expected.trim_end_matches('/'))
    })
    .await;
    let now = browser.current_url().await.map(|u| u.to_string());
    assert!(arrived, "expected {expected}, the browser is at {now:?}");
}

/// The text of the page's `h1`.
pub async fn heading(browser: &Client) -> String {
    let h1 = bounded("the heading", browser.find(Locator::Css("h1"))).await;
    bounded("its text", h1.text()).await
}

/// On the *Questions secrètes* page: picks the first required questions of the test
/// catalogue and types their answers (`credentials::answer_for`), then submits.
pub async fn answer_questions(browser: &Client) {
    let config = crate::credentials::catalogue();
    for (i, q) in config.catalogue.iter().take(config.required).enumerate() {
        let n = i + 1;
        let select = bounded(
            "a question list",
            browser.find(Locator::Id(&format!("question_{n}"))),
        )
        .await;
        bounded("picking a question", select.select_by_value(&q.id)).await;
        fill(
            browser,
            &format!("answer_{n}"),
            &crate::credentials::answer_for(&q.id),
        )
        .await;
    }
    submit(browser).await;
}

/// The WCAG 2.1 A and AA rules axe-core finds broken on the page the browser shows: one line
/// per rule (`id: help — the first offending element`). axe-core is injected from `AXE_JS`
/// (scripts/test installs it from npm); WebDriver's scripts are not subject to the page's CSP.
pub async fn axe_violations(browser: &Client) -> Vec<String> {
    let path = std::env::var("AXE_JS")
        .expect("AXE_JS names axe.min.js (scripts/test installs axe-core and sets it)");
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read axe-core at {path}: {e}"));
    bounded(
        "injecting axe-core",
        browser.execute(&format!("{source}\n;return true;"), vec![]),
    )
    .await;
    let run = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
          .then(r => done(r.violations.map(v =>
            v.id + ': ' + v.help + ' — ' + (v.nodes[0] ? v.nodes[0].html : ''))))
          .catch(e => done(['axe failed: ' + e]));
    "#;
    let found = bounded("running axe-core", browser.execute_async(run, vec![])).await;
    found
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| l.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_else(|| vec![format!("axe-core answered {found}")])
}

/// Signs an agency account in at the provider's login page, giving the code of a fresh
/// authenticator at `/mfa` (`credentials::fresh_totp`), and waits for the home page.
pub async fn sign_in_with_code(browser: &Client, app: &TestApp, username: &str) {
    let secret = crate::credentials::fresh_totp(app, username).await;
    bounded("login", browser.goto(&app.url("/login"))).await;
    fill(browser, "username", username).await;
    fill(browser, "password", crate::PASSWORD).await;
    submit(browser).await;
    arrives_at(browser, app, "/mfa").await;
    let code = idp::second_factor::totp::current_code(&secret).unwrap();
    fill(browser, "code", &code).await;
    submit(browser).await;
    arrives_at(browser, app, "/").await;
}

/// `POST /session/{id}/webauthn/authenticator` (WebAuthn Level 2 §11.3, which chromedriver
/// implements): a virtual CTAP2 authenticator inside the browser, with user verification, that
/// answers every ceremony at once as a person with a PIN or a fingerprint would.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/webauthn/authenticator"))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Gives the browser a virtual authenticator (a passkey provider); its id.
pub async fn add_virtual_authenticator(browser: &Client) -> String {
    let answer = bounded(
        "adding a virtual authenticator",
        browser.issue_cmd(AddVirtualAuthenticator),
    )
    .await;
    answer.as_str().unwrap_or_default().to_owned()
}

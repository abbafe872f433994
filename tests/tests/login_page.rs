//! The login page itself, at the HTTP level: language, accessibility of the form, the same
//! answer for every refusal, CSRF, lockout, the session cookie, operations endpoints, error
//! pages, security headers, and the `prompt=login` / `max_age` re-authentication rules.

use idp::keys::SigningAlg;
use integration_tests::page::{cookie_value, hidden_input, input_tag, set_cookie, text, unescape};
use integration_tests::{
    CALLBACK, PASSWORD, Provider, SESSION_COOKIE, TestApp, confidential_client, get, location,
    login, provider, query_param, rp, spawn_app, spawn_app_with, with_query,
};
use openidconnect::core::CoreProviderMetadata;

/// The text of the login error message, if the page shows one.
fn error_message(html: &str) -> Option<String> {
    let start = html.find("class=\"error\">")? + "class=\"error\">".len();
    let end = html[start..].find('<')? + start;
    Some(unescape(html[start..end].trim()))
}

/// The value of the session cookie a response sets, with its attributes.
fn session_set_cookie(response: &reqwest::Response) -> Option<String> {
    set_cookie(response, SESSION_COOKIE)
}

/// GET /login (no pending request): the page and the CSRF token for `browser`.
async fn login_form(app: &TestApp, browser: &reqwest::Client) -> (String, String) {
    let page = get(browser, app.url("/login")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = hidden_input(&html, "csrf").expect("csrf field");
    (html, csrf)
}

/// Posts the login form with a fresh page's CSRF token.
async fn post_login(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    login::log_in(app, browser, "/login", username, password).await
}

/// The page shown for a refused login, with what legitimately varies (the CSRF token and the
/// echoed username) blanked out.
async fn refusal_page(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    password: &str,
) -> (u16, String, String) {
    let response = post_login(app, browser, username, password).await;
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let message =
        error_message(&html).unwrap_or_else(|| panic!("a refusal shows an error message:\n{html}"));
    let csrf = hidden_input(&html, "csrf").expect("the form is shown again");
    let shown = html
        .replace(&csrf, "CSRF")
        .replace(&format!("value=\"{username}\""), "value=\"USERNAME\"");
    (status, message, shown)
}

/// Starts an idp with the client `client_id`: the provider and an authorization request for it.
async fn register(client_id: &str) -> (TestApp, CoreProviderMetadata, rp::Started) {
    let Provider { app, metadata, .. } =
        provider(confidential_client(client_id, CALLBACK, SigningAlg::Es256)).await;
    let started = rp::start(&metadata, client_id, CALLBACK, &["openid"]);
    (app, metadata, started)
}

/// POSTs `form` to `path` with `browser`, with extra request headers.
async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = browser.post(app.url(path)).form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A pending request id: follows an authorization request to the login page.
async fn pending_request(app: &TestApp, browser: &reqwest::Client, url: &str) -> String {
    let login = login::page_location(browser, url).await;
    query_param(&url::Url::parse(&app.url(&login)).unwrap(), "req").unwrap()
}

#[tokio::test]
async fn the_login_page_is_french_by_default() {
    let app = spawn_app().await;
    let (html, _) = login_form(&app, &app.new_browser()).await;
    assert!(
        html.contains("<html lang=\"fr-CA\">"),
        "lang=\"fr-CA\" on the html element"
    );
    let text = unescape(&html);
    assert!(
        text.contains("Nom d'utilisateur"),
        "the username label is French"
    );
    assert!(text.contains("Connexion aux services en ligne"));
    assert!(!text.contains(">Username<"), "no English label");
}

#[tokio::test]
async fn the_login_page_is_english_with_lang_en_or_an_english_accept_language() {
    let app = spawn_app().await;
    let browser = app.new_browser();
    let by_query = text(&browser, app.url("/login?lang=en")).await;
    let by_header = browser
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for html in [by_query, by_header] {
        assert!(
            html.contains("<html lang=\"en\">"),
            "lang=\"en\" on the html element"
        );
        let text = unescape(&html);
        assert!(text.contains("<label for=\"username\">Username</label>"));
        assert!(text.contains("Sign in to online services"));
        assert!(!text.contains("Nom d'utilisateur"));
    }
}

#[tokio::test]
async fn the_language_switch_link_keeps_the_pending_request() {
    let (app, _, started) = register("switch").await;
    let browser = app.new_browser();
    let req = pending_request(&app, &browser, started.url.as_str()).await;
    let french = unescape(&text(&browser, app.url(&format!("/login?req={req}"))).await);
    assert!(
        french.contains(&format!("href=\"/login?req={req}&lang=en\"")),
        "the French page links to the English one for the same request"
    );
    let english = unescape(&text(&browser, app.url(&format!("/login?req={req}&lang=en"))).await);
    assert!(
        english.contains(&format!("href=\"/login?req={req}&lang=fr-CA\"")),
        "and back"
    );
    assert_eq!(
        hidden_input(&english, "req").as_deref(),
        Some(req.as_str()),
        "the English form carries the request"
    );
}

#[tokio::test]
async fn labels_are_tied_to_inputs_and_the_password_field_helps_password_managers() {
    let app = spawn_app().await;
    let (html, _) = login_form(&app, &app.new_browser()).await;
    assert!(html.contains("<label for=\"username\">"));
    assert!(html.contains("<label for=\"password\">"));
    let username = input_tag(&html, "username");
    assert!(username.contains("name=\"username\""));
    assert!(username.contains("autocomplete=\"username\""));
    let password = input_tag(&html, "password");
    assert!(password.contains("type=\"password\""), "{password}");
    assert!(
        password.contains("autocomplete=\"current-password\""),
        "{password}"
    );
    let lower = html.to_lowercase();
    for blocker in [
        "onpaste",
        "oncopy",
        "oncut",
        "ondrop",
        "autocomplete=\"off\"",
    ] {
        assert!(
            !lower.contains(blocker),
            "nothing blocks pasting or password managers ({blocker})"
        );
    }
    let text = unescape(&html);
    assert!(
        text.contains(">Mot de passe oublié?</a>"),
        "a forgotten-password link"
    );
}

#[tokio::test]
async fn unknown_user_wrong_password_and_locked_account_get_the_same_answer() {
    let app = spawn_app().await;
    app.add_user("IP20001").await;
    app.add_user("IP20002").await;
    let browser = app.new_browser();
    // Lock IP20002 (lockout.max_failures = 5).
    for _ in 0..5 {
        let response = post_login(&app, &browser, "IP20002", "wrong password 12345").await;
        assert_eq!(response.status(), 200);
    }
    let unknown = refusal_page(&app, &browser, "IP99999", PASSWORD).await;
    let wrong = refusal_page(&app, &browser, "IP20001", "not the password at all").await;
    let locked = refusal_page(&app, &browser, "IP20002", PASSWORD).await;
    assert_eq!(
        unknown.0, wrong.0,
        "same status for unknown user and wrong password"
    );
    assert_eq!(
        unknown.0, locked.0,
        "same status for unknown user and locked account"
    );
    assert!(
        unknown.1.contains("incorrect"),
        "the message: {}",
        unknown.1
    );
    assert_eq!(unknown.1, wrong.1);
    assert_eq!(unknown.1, locked.1);
    assert_eq!(
        unknown.2, wrong.2,
        "the pages differ only by CSRF token and username"
    );
    assert_eq!(
        unknown.2, locked.2,
        "the pages differ only by CSRF token and username"
    );
}

#[tokio::test]
async fn the_username_is_case_insensitive() {
    let app = spawn_app().await;
    app.add_user("IP12345").await;
    let response = post_login(&app, &app.new_browser(), "ip12345", PASSWORD).await;
    assert_eq!(response.status(), 303, "ip12345 signs in IP12345");
    assert!(session_set_cookie(&response).is_some(), "a session starts");
    let response = post_login(&app, &app.new_browser(), "  Ip12345 ", PASSWORD).await;
    assert_eq!(
        response.status(),
        303,
        "surrounding spaces and mixed case are tolerated"
    );
}

#[tokio::test]
async fn a_login_without_a_valid_csrf_token_or_from_another_origin_is_refused() {
    let app = spawn_app().await;
    app.add_user("IP30001").await;
    let browser = app.new_browser();
    let (_, csrf) = login_form(&app, &browser).await;
    let good = [("username", "IP30001"), ("password", PASSWORD), ("req", "")];

    let missing = post(&app, &browser, "/login", &[], &good).await;
    let forged_token = "A".repeat(43);
    let mut forged_form = good.to_vec();
    forged_form.push(("csrf", forged_token.as_str()));
    let forged = post(&app, &browser, "/login", &[], &forged_form).await;
    let mut with_token = good.to_vec();
    with_token.push(("csrf", csrf.as_str()));
    let evil_origin = [("origin", "https://evil.example")];
    let cross_origin = post(&app, &browser, "/login", &evil_origin, &with_token).await;
    let cross_site_fetch = [("sec-fetch-site", "cross-site")];
    let cross_site = post(&app, &browser, "/login", &cross_site_fetch, &with_token).await;
    for (case, response) in [
        ("missing", missing),
        ("forged", forged),
        ("cross-origin", cross_origin),
        ("cross-site", cross_site),
    ] {
        assert_eq!(response.status(), 400, "{case} CSRF proof is refused");
        assert!(
            session_set_cookie(&response).is_none(),
            "{case}: no session"
        );
        let html = unescape(&response.text().await.unwrap());
        assert!(html.contains("lang=\"fr-CA\""), "{case}: a French page");
        assert!(
            html.contains("Votre page a expiré. Rechargez la page et réessayez."),
            "{case}: the translated message:\n{html}"
        );
    }
    let english = post(&app, &browser, "/login?lang=en", &[], &good).await;
    assert_eq!(english.status(), 400);
    let html = english.text().await.unwrap();
    assert!(
        html.contains("Your page has expired."),
        "the message in English:\n{html}"
    );

    let control = post(&app, &browser, "/login", &[], &with_token).await;
    assert_eq!(
        control.status(),
        303,
        "the same form with its token from our own page signs in"
    );
}

/// What Chromium sends when the login form is submitted: the pages say `Referrer-Policy:
/// no-referrer`, and under that policy the Fetch standard serialises the `Origin` of a POST as
/// `null` even to the same origin; `Sec-Fetch-Site: same-origin` says it is our own page.
#[tokio::test]
async fn a_login_posted_by_a_browser_from_our_own_page_is_accepted() {
    let app = spawn_app().await;
    app.add_user("IP30002").await;
    let browser = app.new_browser();
    let (_, csrf) = login_form(&app, &browser).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("req", ""),
        ("username", "IP30002"),
        ("password", PASSWORD),
    ];
    let from_our_page = [
        ("origin", "null"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-dest", "document"),
    ];
    let response = post(&app, &browser, "/login", &from_our_page, &form).await;
    assert_eq!(
        response.status(),
        303,
        "a same-origin form post with a valid token signs in"
    );
}

#[tokio::test]
async fn after_five_wrong_passwords_the_right_password_is_refused_too() {
    let app = spawn_app().await;
    app.add_user("IP40001").await;
    let browser = app.new_browser();
    for attempt in 1..=5 {
        let response = post_login(&app, &browser, "IP40001", "wrong password 12345").await;
        assert_eq!(
            response.status(),
            200,
            "attempt {attempt} shows the form again"
        );
        assert!(session_set_cookie(&response).is_none());
    }
    let response = post_login(&app, &browser, "IP40001", PASSWORD).await;
    assert_eq!(response.status(), 200, "the locked account is refused");
    assert!(
        session_set_cookie(&response).is_none(),
        "no session for a locked account"
    );
    let html = response.text().await.unwrap();
    assert!(
        error_message(&html).is_some_and(|m| m.contains("verrouillé")),
        "the refusal message:\n{html}"
    );
}

#[tokio::test]
async fn four_wrong_passwords_do_not_lock_the_account() {
    let app = spawn_app().await;
    app.add_user("IP40002").await;
    let browser = app.new_browser();
    for _ in 0..4 {
        assert_eq!(
            post_login(&app, &browser, "IP40002", "wrong password 12345")
                .await
                .status(),
            200
        );
    }
    let response = post_login(&app, &browser, "IP40002", PASSWORD).await;
    assert_eq!(
        response.status(),
        303,
        "below the threshold the right password works"
    );
}

#[tokio::test]
async fn the_session_cookie_is_host_prefixed_secure_http_only_and_lax() {
    let app = spawn_app().await;
    app.add_user("IP50001").await;
    let response = post_login(&app, &app.new_browser(), "IP50001", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = session_set_cookie(&response).expect("a session cookie");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_lowercase())
        .collect();
    for wanted in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} in {cookie}"
        );
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "a __Host- cookie has no Domain: {cookie}"
    );
    assert!(cookie_value(&cookie).len() >= 43, "a 256-bit id: {cookie}");
}

#[tokio::test]
async fn the_session_id_changes_at_each_login_and_the_old_one_is_ended() {
    let (app, _, started) = register("relogin").await;
    app.add_user("IP50002").await;
    let browser = app.new_browser();
    let first = post_login(&app, &browser, "IP50002", PASSWORD).await;
    let first = cookie_value(&session_set_cookie(&first).expect("a session cookie"));
    let second = post_login(&app, &browser, "IP50002", PASSWORD).await;
    assert_eq!(second.status(), 303);
    let second = cookie_value(&session_set_cookie(&second).expect("a new session cookie"));
    assert_ne!(first, second, "a new session id at each login");

    let with = |value: &str| {
        let value = value.to_owned();
        let url = started.url.to_string();
        let client = app.new_browser();
        async move {
            client
                .get(url)
                .header("cookie", format!("{SESSION_COOKIE}={value}"))
                .send()
                .await
                .unwrap()
        }
    };
    let old = with(&first).await;
    assert!(
        location(&old).starts_with("/login"),
        "the first session ended with the second login"
    );
    let new = with(&second).await;
    assert!(
        location(&new).starts_with(CALLBACK),
        "the second session signs in: {}",
        location(&new)
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_on_the_operations_listener_only() {
    // One failure locks: the second lands on the lock, which the old metrics labelled.
    let app = spawn_app_with(|f| {
        f.merge(figment::providers::Serialized::default(
            "lockout.max_failures",
            1,
        ))
    })
    .await;
    app.add_user("IP60001").await;
    let http = app.new_browser();
    let ops = reqwest::Client::new();
    let health = get(&ops, app.ops_url("/healthz")).await;
    assert_eq!(health.status(), 200);
    let ready = get(&ops, app.ops_url("/readyz")).await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
    assert_eq!(
        post_login(&app, &http, "IP60001", PASSWORD).await.status(),
        303
    );
    for _ in 0..2 {
        let refused = post_login(&app, &http, "IP60001", "not the password").await;
        assert_eq!(refused.status(), 200);
    }
    assert_eq!(
        post_login(&app, &http, "IP60001", PASSWORD).await.status(),
        200,
        "locked"
    );
    let metrics = get(&ops, app.ops_url("/metrics")).await;
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("logins_total{") && l.contains("outcome=\"success\"")),
        "logins_total counts the login:\n{text}"
    );
    assert!(
        !text.contains("outcome=\"locked\""),
        "no outcome label tells a locked account from a wrong password:\n{text}"
    );

    // The public listener serves none of them: an outsider reads no counter (issue 7).
    for path in ["/metrics", "/healthz", "/readyz"] {
        let public = get(&http, app.url(path)).await;
        assert_eq!(public.status(), 404, "{path} is not on the public listener");
        let body = public.text().await.unwrap();
        assert!(!body.contains("logins_total"), "{path}: {body}");
    }
}

#[tokio::test]
async fn an_oversized_login_post_gets_a_413_french_page() {
    let app = spawn_app().await;
    let browser = app.new_browser();
    let (_, csrf) = login_form(&app, &browser).await;
    let big = "x".repeat(100 * 1024);
    let form = [
        ("csrf", csrf.as_str()),
        ("username", "IP1"),
        ("password", big.as_str()),
    ];
    let response = post(&app, &browser, "/login", &[], &form).await;
    assert_eq!(
        response.status(),
        413,
        "payload too large, not a server error"
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/html")),
        "an HTML page: {content_type:?}"
    );
    let html = unescape(&response.text().await.unwrap());
    assert!(html.contains("lang=\"fr-CA\""), "a French page:\n{html}");
    assert!(
        html.contains("La requête est trop volumineuse."),
        "the translated message:\n{html}"
    );
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = spawn_app().await;
    let browser = app.new_browser();
    let page = get(&browser, app.url("/login")).await;
    let refused = post(&app, &browser, "/login", &[], &[("username", "x")]).await;
    assert_eq!(refused.status(), 400);
    let missing = get(&browser, app.url("/no-such-page")).await;
    assert_eq!(missing.status(), 404);
    for (what, response) in [
        ("login page", page),
        ("400 page", refused),
        ("404 page", missing),
    ] {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{what}: {name}"))
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        let hsts = header("strict-transport-security");
        let max_age: u64 = hsts
            .split(';')
            .find_map(|p| p.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(max_age >= 31_536_000, "{what}: HSTS for a year: {hsts}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    }
}

#[tokio::test]
async fn prompt_login_shows_the_login_page_despite_a_live_session() {
    let (app, metadata, started) = register("reauth").await;
    app.add_user("IP70001").await;
    let browser = app.new_browser();
    let callback = rp::sign_in(&browser, &app, started.url.as_str(), "IP70001", PASSWORD).await;
    rp::code_from(&callback, &app, &started.state);

    let again = rp::start(&metadata, "reauth", CALLBACK, &["openid"]);
    let response = get(&browser, again.url.as_str()).await;
    assert!(
        location(&response).starts_with(CALLBACK),
        "the live session answers at once"
    );

    let forced = rp::start(&metadata, "reauth", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&forced.url, &[("prompt", "login")])).await;
    assert_eq!(response.status(), 303);
    let login = location(&response);
    assert!(
        login.starts_with("/login?req="),
        "prompt=login asks for the password again: {login}"
    );
    let page = get(&browser, app.url(&login)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("type=\"password\""), "the login form");
    let response = login::submit_form(&app, &browser, &html, "IP70001", PASSWORD).await;
    let callback = url::Url::parse(&location(&response)).unwrap();
    rp::code_from(&callback, &app, &forced.state);
}

#[tokio::test]
async fn max_age_zero_forces_a_new_login_even_within_the_second_of_the_last_one() {
    let (app, metadata, started) = register("maxage").await;
    app.add_user("IP70002").await;
    let browser = app.new_browser();
    rp::sign_in(&browser, &app, started.url.as_str(), "IP70002", PASSWORD).await;

    // OIDC Core §3.1.2.1: max_age=0 is prompt=login. Asked at once after the login (the
    // same second, where a comparison in whole seconds let it through), three times.
    for attempt in 1..=3 {
        let zero = rp::start(&metadata, "maxage", CALLBACK, &["openid"]);
        let response = get(&browser, with_query(&zero.url, &[("max_age", "0")])).await;
        assert_eq!(response.status(), 303, "attempt {attempt}");
        assert!(
            location(&response).starts_with("/login?req="),
            "attempt {attempt}: max_age=0 asks for a new login, never a code: {}",
            location(&response)
        );
    }

    let recent = rp::start(&metadata, "maxage", CALLBACK, &["openid"]);
    let response = get(&browser, with_query(&recent.url, &[("max_age", "3600")])).await;
    assert!(
        location(&response).starts_with(CALLBACK),
        "a login within max_age is enough"
    );

    // With prompt=none it cannot ask: the relying party hears login_required.
    let silent = rp::start(&metadata, "maxage", CALLBACK, &["openid"]);
    let params = [("max_age", "0"), ("prompt", "none")];
    let response = get(&browser, with_query(&silent.url, &params)).await;
    let callback = url::Url::parse(&location(&response)).unwrap();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("login_required"),
        "prompt=none with max_age=0 cannot be satisfied by the session"
    );
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let app = spawn_app().await; // checks its certificate files every second (config/test.toml)
    let old_ca = integration_tests::browser(&app.deployment.ca_pem);
    assert_eq!(get(&old_ca, app.url("/login")).await.status(), 200);

    // The operator renews the certificate in place: another CA, the same file names.
    let (new_ca_pem, chain, key) = idp::tls::generate_dev_certs_in_memory().unwrap();
    std::fs::write(app.deployment.dir.join("key.pem"), key).unwrap();
    std::fs::write(app.deployment.dir.join("cert.pem"), chain).unwrap();

    let new_ca = integration_tests::browser(&new_ca_pem);
    let renewed = integration_tests::wait_until(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(200),
        async || {
            new_ca
                .get(app.url("/login"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        },
    )
    .await;
    assert!(
        renewed,
        "the new certificate is served, the process never restarted"
    );
    let fresh_old = integration_tests::browser(&app.deployment.ca_pem);
    assert!(
        fresh_old.get(app.url("/login")).send().await.is_err(),
        "a new connection no longer gets the old certificate"
    );
}

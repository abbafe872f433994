//! The idp's router driven in process with `tower::ServiceExt::oneshot`: no listener, no TLS,
//! the real state (a fresh Postgres schema, a Redis prefix). How pages and errors are rendered:
//! the translated error page in French by default and in English when asked, a form that does
//! not parse, a body over `server.body_limit_bytes`, an authorization request that names no
//! known client, the security headers on every answer, and no operations endpoint on the
//! public router.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, header};
use integration_tests::in_process;
use integration_tests::page::unescape;
use tower::ServiceExt as _;

/// A 100 KB value: well over `server.body_limit_bytes` (16 KB).
fn oversized() -> String {
    "x".repeat(100 * 1024)
}

#[tokio::test]
async fn an_unknown_page_is_a_french_404_page_by_default() {
    let router = in_process().await.router;
    let answer = send(&router, get("/no-such-page", &[])).await;
    assert_eq!(answer.status, 404);
    answer.assert_html();
    answer.assert_page("fr-CA", "La page demandée n'existe pas.");
}

#[tokio::test]
async fn the_404_page_is_in_english_when_the_request_asks_for_it() {
    let router = in_process().await.router;
    let cases = [
        (
            get("/no-such-page", &[("accept-language", "en-US,en;q=0.9")]),
            "Accept-Language",
        ),
        (
            get("/no-such-page", &[("cookie", "idp_lang=en")]),
            "the cookie of an earlier choice",
        ),
        (
            get("/no-such-page?lang=en", &[]),
            "the language link's query",
        ),
        (
            get(
                "/no-such-page?lang=en",
                &[("accept-language", "fr-CA"), ("cookie", "idp_lang=fr-CA")],
            ),
            "an explicit choice over the cookie and the header",
        ),
    ];
    for (request, why) in cases {
        let answer = send(&router, request).await;
        assert_eq!(answer.status, 404, "{why}");
        answer.assert_page("en", "The page you asked for does not exist.");
    }
    let french = send(
        &router,
        get("/no-such-page", &[("accept-language", "de-DE,fr;q=0.5")]),
    )
    .await;
    french.assert_page("fr-CA", "La page demandée n'existe pas.");

    let chosen = send(&router, get("/no-such-page?lang=en", &[])).await;
    let remembered = chosen
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.starts_with("idp_lang=en;") && c.contains("Secure"));
    assert!(
        remembered,
        "an explicit choice is remembered in a cookie: {:?}",
        chosen.headers
    );
}

#[tokio::test]
async fn a_form_that_does_not_parse_is_a_translated_400_page() {
    let router = in_process().await.router;
    let form = "application/x-www-form-urlencoded";
    let cases: [(&str, &str, &str); 3] = [
        (
            form,
            "csrf=a&csrf=b&username=IP1&password=x",
            "a repeated field",
        ),
        ("text/plain", "username=IP1&password=x", "not a form at all"),
        ("application/json", r#"{"username":"IP1"}"#, "JSON"),
    ];
    for (content_type, body, why) in cases {
        let answer = send(&router, post("/login", content_type, body, &[])).await;
        assert_eq!(answer.status, 400, "{why}: {}", answer.body);
        answer.assert_html();
        answer.assert_page("fr-CA", "Le formulaire envoyé est invalide.");
    }
    let english = send(&router, post("/login?lang=en", form, "csrf=a&csrf=b", &[])).await;
    assert_eq!(english.status, 400);
    english.assert_page("en", "The form that was sent is not valid.");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_page_not_a_server_error() {
    let router = in_process().await.router;
    let form = "application/x-www-form-urlencoded";
    let body = format!("username=IP1&password={}", oversized());
    for (path, lang, message) in [
        ("/login", "fr-CA", "La requête est trop volumineuse."),
        ("/login?lang=en", "en", "The request is too large."),
        ("/authorize", "fr-CA", "La requête est trop volumineuse."),
    ] {
        let answer = send(&router, post(path, form, &body, &[])).await;
        assert_eq!(answer.status, 413, "POST {path}: {}", answer.body);
        answer.assert_html();
        answer.assert_page(lang, message);
    }
}

#[tokio::test]
async fn an_authorization_request_that_cannot_be_trusted_is_an_error_page_never_a_redirect() {
    let router = in_process().await.router;
    let cb = "redirect_uri=https%3A%2F%2Frp.example%2Fcb";
    let cases = [
        (
            "/authorize".to_owned(),
            "La demande d'authentification ne précise pas l'application (client_id).",
            "no query at all",
        ),
        (
            "/authorize?colour=blue&size=9".to_owned(),
            "La demande d'authentification ne précise pas l'application (client_id).",
            "only parameters it does not know",
        ),
        (
            format!("/authorize?client_id=nobody&{cb}&response_type=code&scope=openid"),
            "L'application qui demande la connexion n'est pas reconnue.",
            "a client that is not registered",
        ),
        (
            format!("/authorize?client_id=a&client_id=b&{cb}"),
            "La demande d'authentification est invalide.",
            "a repeated parameter",
        ),
    ];
    for (path, message, why) in cases {
        let answer = send(&router, get(&path, &[])).await;
        assert_eq!(answer.status, 400, "{why}: {}", answer.body);
        assert!(
            answer.headers.get(header::LOCATION).is_none(),
            "{why}: never a redirect to an unverified redirect_uri (RFC 6749 §4.1.2.1)"
        );
        answer.assert_html();
        answer.assert_page("fr-CA", message);
    }
    let english = send(
        &router,
        get(
            &format!("/authorize?client_id=nobody&{cb}&response_type=code&ui_locales=en"),
            &[],
        ),
    )
    .await;
    assert_eq!(english.status, 400);
    english.assert_page(
        "en",
        "The application asking you to sign in is not recognised.",
    );
}

#[tokio::test]
async fn a_method_a_page_does_not_take_is_a_405_page_that_says_which_it_takes() {
    let router = in_process().await.router;
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/login")
        .body(Body::empty())
        .unwrap();
    let answer = send(&router, request).await;
    assert_eq!(answer.status, 405);
    answer.assert_page(
        "fr-CA",
        "Cette méthode n'est pas permise pour cette adresse.",
    );
    let allow = answer
        .headers
        .get(header::ALLOW)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        allow.contains("GET") && allow.contains("POST"),
        "Allow: {allow:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let router = in_process().await.router;
    let form = "application/x-www-form-urlencoded";
    let big = format!("password={}", oversized());
    let cases = [
        (get("/login", &[]), 200, "the login page"),
        (get("/no-such-page", &[]), 404, "the 404 page"),
        (
            post("/login", form, "csrf=a&csrf=b", &[]),
            400,
            "the 400 page",
        ),
        (post("/login", form, &big, &[]), 413, "the 413 page"),
        (
            get("/.well-known/openid-configuration", &[]),
            200,
            "the discovery document",
        ),
        (
            post("/token", form, "grant_type=password", &[]),
            400,
            "an OAuth error from the token endpoint (RFC 6749 §5.2)",
        ),
    ];
    for (request, status, what) in cases {
        let answer = send(&router, request).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{what}: no {name} header"))
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(
            header("strict-transport-security").contains("max-age=31536000"),
            "{what}: HSTS for a year"
        );
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert!(
            answer.headers.get("x-request-id").is_some(),
            "{what}: a request id to find it in the logs"
        );
    }
}

#[tokio::test]
async fn the_public_router_serves_no_operations_endpoint() {
    let router = in_process().await.router;
    for path in ["/metrics", "/healthz", "/readyz"] {
        let answer = send(&router, get(path, &[])).await;
        assert_eq!(
            answer.status, 404,
            "{path} is only on the operations listener"
        );
        answer.assert_page("fr-CA", "La page demandée n'existe pas.");
        assert!(
            !answer.body.contains("# HELP") && !answer.body.contains("logins_total"),
            "{path} shows no counter: {}",
            answer.body
        );
    }
}

/// A response, read whole.
struct Answer {
    status: u16,
    headers: HeaderMap,
    /// The body, HTML escapes undone.
    body: String,
}

impl Answer {
    /// The answer is an HTML page.
    fn assert_html(&self) {
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "an HTML page, not {content_type:?}: {}",
            self.body
        );
    }

    /// The answer is the error page in `lang` with `message`.
    fn assert_page(&self, lang: &str, message: &str) {
        assert!(
            self.body.contains(&format!("<html lang=\"{lang}\"")),
            "a page in {lang}:\n{}",
            self.body
        );
        assert!(
            self.body.contains(message),
            "the message {message:?}:\n{}",
            self.body
        );
    }
}

/// Sends `request` through the router as if from 127.0.0.1 (the per-IP limits and the audit
/// read the peer address the listener would have given).
async fn send(router: &Router, mut request: Request<Body>) -> Answer {
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: unescape(&String::from_utf8_lossy(&bytes)),
    }
}

fn get(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::builder().uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

fn post(path: &str, content_type: &str, body: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

//! `httpfuzz`: mutated requests to every route of a running service for a bounded time
//! (`scripts/fuzz-http`). Methods, paths and their ids, queries, headers (content types,
//! cookies, credentials, languages, origins), bodies (forms, JSON, multipart, random and
//! invalid UTF-8 bytes, past the size limit) are drawn from a seeded generator, so a failure is
//! reproduced by its seed. With `--sign-in` and `--bearer-file`, half the requests carry a
//! real session cookie or access token, so the handlers behind them are reached too; `--id`
//! gives real ids (a thread) for the paths. Any 5xx but 503 (a shed or an unavailable
//! dependency, which the services answer on purpose) is a failure; the first of each are
//! printed with the request.
//! The script around it reads the server's memory before and after and its log for panics.

#![allow(clippy::print_stdout, clippy::print_stderr)] // A command line prints its findings.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use reqwest::Method;

/// A small seeded generator (xorshift64*): reproducible runs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Up to `max` random bytes.
    fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        self.bytes(n)
    }
}

/// Every route of both services (`.route(` in idp/src and messaging/src, and the nested ones).
const IDP_ROUTES: &[&str] = &[
    "/",
    "/.well-known/openid-configuration",
    "/jwks.json",
    "/authorize",
    "/authorize/resume",
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/logout",
    "/consent",
    "/login",
    "/mfa",
    "/mfa/enrol",
    "/mfa/enrol/done",
    "/mfa/passkey",
    "/password/new",
    "/recovery",
    "/recovery/questions",
    "/recovery/password",
    "/recovery/done",
    "/username/forgot",
    "/enrol",
    "/enrol/welcome",
    "/access-request",
    "/account",
    "/account/sessions",
    "/account/sessions/end",
    "/account/sessions/end-others",
    "/account/username/sent",
    "/account/username/verified",
    "/account/second-factor",
    "/account/second-factor/remove",
    "/account/passkeys",
    "/account/passkeys/finish",
    "/account/passkeys/remove",
    "/account/delegations",
    "/account/delegations/approve",
    "/account/delegations/grant",
    "/account/delegations/refuse",
    "/account/delegations/revoke",
    "/helpdesk",
    "/helpdesk/access-requests",
    "/helpdesk/accounts/{id}",
    "/helpdesk/accounts/{id}/act",
    "/helpdesk/professionals/{id}",
    "/security/audit",
    "/security/clients",
    "/security/clients/{id}/state",
    "/security/keys",
    "/security/policy",
    "/security/roles",
    "/assets/site.css",
    "/nowhere",
];

const MESSAGING_ROUTES: &[&str] = &[
    "/",
    "/login",
    "/callback",
    "/logout",
    "/language",
    "/backchannel-logout",
    "/threads",
    "/threads/new",
    "/threads/{id}",
    "/threads/{id}/close",
    "/threads/{id}/draft",
    "/threads/{id}/take",
    "/threads/{id}/attachments",
    "/threads/{id}/attachments/{id}",
    "/drafts/new",
    "/queue",
    "/events",
    "/api/v1/openapi.json",
    "/api/v1/categories",
    "/api/v1/events",
    "/api/v1/preferences",
    "/api/v1/threads",
    "/api/v1/threads/{id}",
    "/api/v1/threads/{id}/messages",
    "/api/v1/threads/{id}/assign",
    "/api/v1/threads/{id}/close",
    "/api/v1/threads/{id}/release",
    "/api/v1/threads/{id}/take",
    "/api/v1/threads/{id}/transfer",
    "/api/v1/threads/{id}/attachments",
    "/api/v1/threads/{id}/attachments/{id}",
    "/api/v1/drafts/new",
    "/api/v1/threads/{id}/draft",
    "/nowhere",
];

/// An id for a path: one of `real` (a thread of the signed-in person: the handlers go past
/// the lookup) half the time when there are some, else a mutated one.
fn id(rng: &mut Rng, real: &[String]) -> String {
    if !real.is_empty() && rng.below(2) == 0 {
        return rng.pick(real).clone();
    }
    match rng.below(6) {
        0 => uuid_like(rng),
        1 => "12345".into(),
        2 => "%FF%FE".into(),
        3 => "a".repeat(1 + rng.below(3000)),
        4 => "..%2F..%2Fetc%2Fpasswd".into(),
        _ => percent(&rng.some_bytes(40)),
    }
}

fn uuid_like(rng: &mut Rng) -> String {
    let b = rng.bytes(16);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_le_bytes([b[4], b[5]]),
        u16::from_le_bytes([b[6], b[7]]),
        u16::from_le_bytes([b[8], b[9]]),
        u64::from_le_bytes([b[10], b[11], b[12], b[13], b[14], b[15], 0, 0])
    )
}

fn percent(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

const NAMES: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "refresh_token",
    "token",
    "username",
    "password",
    "csrf",
    "req",
    "lang",
    "q",
    "prompt",
    "max_age",
    "id_token_hint",
    "post_logout_redirect_uri",
    "login_hint",
    "ui_locales",
    "request",
    "code_verifier",
    "answer",
    "nip",
    "number",
    "email",
    "page",
    "cursor",
    "limit",
    "subject",
    "body",
    "category",
];

fn value(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => String::new(),
        1 => "x".repeat(rng.below(9000)),
        2 => percent(&rng.some_bytes(64)),
        3 => "%".into(),
        4 => "%zz%0".into(),
        5 => "\u{0}\u{7}\u{1b}".into(),
        6 => "é漢字🙂\u{202e}".into(),
        7 => "-1".into(),
        _ => "openid profile email".into(),
    }
}

fn query(rng: &mut Rng) -> String {
    let pairs: Vec<String> = (0..rng.below(8))
        .map(|_| {
            let name = if rng.below(5) == 0 {
                percent(&rng.bytes(4))
            } else {
                (*rng.pick(NAMES)).to_owned()
            };
            format!("{name}={}", url_encode(&value(rng)))
        })
        .collect();
    pairs.join(if rng.below(6) == 0 { ";" } else { "&" })
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A body and its content type.
fn body(rng: &mut Rng) -> (Option<&'static str>, Vec<u8>) {
    match rng.below(8) {
        0 => (None, Vec::new()),
        1 => (Some("application/x-www-form-urlencoded"), query(rng).into_bytes()),
        2 => (Some("application/json"), json(rng, 0).into_bytes()),
        3 => (
            Some("multipart/form-data; boundary=XyZ"),
            format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/pdf\r\n\r\n{}\r\n--XyZ--\r\n",
                value(rng),
                value(rng)
            )
            .into_bytes(),
        ),
        4 => (Some("multipart/form-data"), rng.some_bytes(500)),
        5 => (Some("application/x-www-form-urlencoded"), vec![b'a'; 20_000]),
        6 => (Some("text/plain; charset=utf-7"), rng.some_bytes(2000)),
        _ => (Some("application/json"), b"{\"a\":".repeat(rng.below(3000))),
    }
}

fn json(rng: &mut Rng, depth: usize) -> String {
    match rng.below(if depth > 4 { 3 } else { 6 }) {
        0 => "null".into(),
        1 => format!("{}", rng.next() as i64),
        2 => format!("{:?}", value(rng)),
        3 => format!(
            "[{}]",
            (0..rng.below(4))
                .map(|_| json(rng, depth + 1))
                .collect::<Vec<_>>()
                .join(",")
        ),
        _ => {
            let fields: Vec<String> = (0..rng.below(5))
                .map(|_| format!("{:?}:{}", rng.pick(NAMES), json(rng, depth + 1)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
    }
}

fn headers(rng: &mut Rng) -> Vec<(&'static str, String)> {
    let mut headers = Vec::new();
    for _ in 0..rng.below(5) {
        let header = match rng.below(8) {
            0 => (
                "cookie",
                format!("__Host-idp_session={}; idp_lang={}", value(rng), value(rng)),
            ),
            1 => (
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(rng.some_bytes(80))
                ),
            ),
            2 => (
                "authorization",
                format!("Bearer {}.{}.{}", value(rng), value(rng), value(rng)),
            ),
            3 => ("accept-language", value(rng)),
            4 => (
                "origin",
                if rng.below(2) == 0 {
                    "null".into()
                } else {
                    value(rng)
                },
            ),
            5 => ("x-forwarded-for", value(rng)),
            6 => ("content-length-ignored", "1".into()),
            _ => ("accept", "*/*;q=abc".into()),
        };
        headers.push(header);
    }
    headers
}

/// Which service a base URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Idp,
    Messaging,
}

struct Args {
    bases: Vec<(String, Service)>,
    ca: std::path::PathBuf,
    duration: Duration,
    seed: u64,
    /// `username:password` to sign in to the idp with: its session cookie then goes with
    /// half the idp requests.
    sign_in: Option<String>,
    /// A bearer token for the messaging API: it goes with half the messaging requests.
    bearer: Option<String>,
    /// Real ids for the paths.
    ids: Vec<String>,
}

fn arguments() -> anyhow::Result<Args> {
    let mut args = std::env::args().skip(1);
    let (mut bases, mut ca, mut duration, mut seed) = (Vec::new(), None, 60u64, 1u64);
    let (mut sign_in, mut bearer, mut ids) = (None, None, Vec::new());
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--idp" => bases.push((value, Service::Idp)),
            "--messaging" => bases.push((value, Service::Messaging)),
            "--sign-in" => sign_in = Some(value),
            "--bearer-file" => {
                bearer = Some(std::fs::read_to_string(&value)?.trim().to_owned());
            }
            "--id" => ids.push(value),
            "--ca" => ca = Some(value.into()),
            "--seconds" => duration = value.parse()?,
            "--seed" => seed = value.parse()?,
            _ => bail!(
                "unknown option {flag} (--idp URL, --messaging URL, --ca PEM, --seconds N, --seed N, \
                 --sign-in USER:PASSWORD, --bearer-file FILE, --id ID)"
            ),
        }
    }
    if bases.is_empty() {
        bail!("--idp URL and/or --messaging URL");
    }
    Ok(Args {
        bases,
        ca: ca.context("--ca PEM")?,
        duration: Duration::from_secs(duration),
        seed: seed.max(1),
        sign_in,
        bearer,
        ids,
    })
}

/// Signs in to the idp at `base` through its login form; the cookies the browser then holds
/// (its session among them), as one `Cookie` header.
async fn sign_in(
    ca: &reqwest::Certificate,
    base: &str,
    credentials: &str,
) -> anyhow::Result<String> {
    let (username, password) = credentials
        .split_once(':')
        .context("--sign-in USER:PASSWORD")?;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .add_root_certificate(ca.clone())
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(std::sync::Arc::clone(&jar))
        .build()?;
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("sign-in: no csrf field on the login page")?;
    let form = [
        ("csrf", csrf),
        ("req", ""),
        ("username", username),
        ("password", password),
    ];
    let answer = browser
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await?;
    let status = answer.status();
    let url = reqwest::Url::parse(base)?;
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &url)
        .and_then(|c| c.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    if !status.is_redirection() || !cookies.contains("__Host-idp_session=") {
        bail!("sign-in as {username}: {status}, no session cookie");
    }
    Ok(cookies)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = arguments()?;
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .ok();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&args.ca)?)?;
    let session = match (
        &args.sign_in,
        args.bases.iter().find(|b| b.1 == Service::Idp),
    ) {
        (Some(credentials), Some((base, _))) => Some(sign_in(&ca, base, credentials).await?),
        _ => None,
    };
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()?;
    let mut rng = Rng(args.seed);
    // The routes take GET and POST: most requests use them, the rest probe the 405s.
    let methods = [
        Method::GET,
        Method::GET,
        Method::GET,
        Method::POST,
        Method::POST,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::HEAD,
    ];
    let deadline = Instant::now() + args.duration;
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = 0u64;
    let mut sent = 0u64;
    while Instant::now() < deadline {
        let (base, service) = rng.pick(&args.bases).clone();
        let routes = match service {
            Service::Idp => IDP_ROUTES,
            Service::Messaging => MESSAGING_ROUTES,
        };
        let mut path = (*rng.pick(routes)).to_owned();
        while path.contains("{id}") {
            path = path.replacen("{id}", &id(&mut rng, &args.ids), 1);
        }
        let q = query(&mut rng);
        let url = if q.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{q}")
        };
        let method = rng.pick(&methods).clone();
        let (content_type, payload) = body(&mut rng);
        let mut extra = headers(&mut rng);
        // Signed in half the time: the handlers behind the session and the bearer token.
        if rng.below(2) == 0 {
            match (service, &session, &args.bearer) {
                (Service::Idp, Some(cookies), _) => extra.push(("cookie", cookies.clone())),
                (Service::Messaging, _, Some(token)) => {
                    extra.push(("authorization", format!("Bearer {token}")));
                }
                _ => {}
            }
        }
        let mut request = http.request(method.clone(), &url);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in &extra {
            if let Ok(value) = reqwest::header::HeaderValue::from_str(value) {
                request = request.header(*name, value);
            }
        }
        let size = payload.len();
        sent += 1;
        let outcome = match request.body(payload).send().await {
            Ok(response) => {
                let status = response.status();
                // An event stream (`/events`, `/api/v1/events`) stays open by design: its
                // headers are the answer; reading on would only wait.
                let streams = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
                if !streams {
                    let _ = response.bytes().await;
                }
                if status.is_server_error() && status.as_u16() != 503 {
                    failures += 1;
                    if failures <= 20 {
                        let shown: String = url.chars().take(300).collect();
                        eprintln!(
                            "FAIL {status}: {method} {shown} content-type={content_type:?} body={size} B headers={:?}",
                            extra
                                .iter()
                                .map(|(n, v)| format!(
                                    "{n}: {}",
                                    v.chars().take(60).collect::<String>()
                                ))
                                .collect::<Vec<_>>()
                        );
                    }
                }
                status.as_u16().to_string()
            }
            Err(e) if e.is_timeout() => {
                failures += 1;
                eprintln!(
                    "FAIL timeout: {method} {}",
                    url.chars().take(200).collect::<String>()
                );
                "timeout".into()
            }
            Err(_) => "transport".into(),
        };
        *statuses.entry(outcome).or_default() += 1;
    }
    println!(
        "{sent} requests (seed {}), statuses: {statuses:?}, failures: {failures}",
        args.seed
    );
    if failures > 0 {
        bail!("{failures} requests answered 5xx (other than 503) or timed out");
    }
    Ok(())
}

//! The test harness: `spawn_app()` starts the real idp over TLS, on port 0, against a fresh
//! Postgres schema and a unique Redis key prefix, and returns a handle with typed helpers.
//! Nothing is mocked: the relying party is the `openidconnect` crate over reqwest.
//!
//! Beside it: [`page`] reads the HTML pages, [`login`] drives the login form like a browser,
//! [`jwt`] looks inside compact JWS, [`oauth`] calls the token, introspection, userinfo and JWKS
//! endpoints over plain HTTP, [`rp`] is a relying party on the `openidconnect` crate,
//! [`recovery`] drives "Mot de passe oublié?", and [`redis_servers`] and [`pg_servers`] start
//! real Redis servers, Clusters, Sentinel sets and a Postgres primary with its replica for a
//! test, which [`load`] runs logins against.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test support: a failure is a failed test.

pub mod chromium;
pub mod credentials;
pub mod jwt;
pub mod load;
pub mod login;
pub mod messaging;
pub mod oauth;
pub mod page;
pub mod pg_servers;
pub mod recovery;
pub mod redis_servers;
pub mod rp;
pub mod smtp;

pub use page::hidden_input;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use figment::providers::Serialized;
use idp::admin::clients::Registration;
use idp::admin::users::NewUser;
use idp::config::Config;
use idp::keys::SigningAlg;
use openidconnect::core::CoreProviderMetadata;

/// Everything a test needs about one running idp node.
#[derive(Debug, Clone)]
pub struct TestApp {
    /// `https://127.0.0.1:PORT`.
    pub issuer: String,
    /// Bound port.
    pub port: u16,
    /// The operations listener's port (`/healthz`, `/readyz`, `/metrics`, plain HTTP).
    pub ops_port: u16,
    /// A browser-like client: cookie store, no automatic redirects, trusts the test CA.
    pub http: reqwest::Client,
    /// Shared with every node of the same deployment.
    pub deployment: Arc<Deployment>,
    /// Stops this node.
    pub handle: axum_server::Handle<std::net::SocketAddr>,
    /// The deployment's SMTP sink: every e-mail the idp sends lands here.
    pub smtp: smtp::Sink,
}

/// What nodes of one deployment share: database schema, Redis prefix, secrets, CA.
#[derive(Debug)]
pub struct Deployment {
    /// Postgres schema.
    pub schema: String,
    /// Redis key prefix.
    pub prefix: String,
    /// CA certificate (PEM) the test clients trust.
    pub ca_pem: String,
    /// Folder with the server's certificate and key.
    pub dir: PathBuf,
    secrets: [String; 3],
    /// The username rules of the deployment's configuration (accounts the tests add obey them).
    usernames: idp::config::UsernamesConfig,
    /// Its password policy.
    password_policy: idp::config::PasswordPolicyConfig,
    /// A pool on the test schema, for assertions.
    pub db: deadpool_postgres::Pool,
    /// The SMTP sink every node sends to.
    pub smtp: smtp::Sink,
}

/// A password that passes every check.
pub const PASSWORD: &str = "correct horse battery staple";

/// The registered redirect URI of the test clients (never contacted: redirects are not followed).
pub const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// The name of the idp's SSO session cookie.
pub const SESSION_COOKIE: &str = "__Host-idp_session";

/// Database URL for tests.
pub fn database_url() -> String {
    std::env::var("IDP_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/idp_test".into())
}

/// Redis URL for tests.
pub fn redis_url() -> String {
    std::env::var("IDP_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// 32 random bytes in standard base64: a fresh secret or key for a configuration.
pub fn random_b64() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes in unpadded base64url, the encoding of JWS parts and PKCE values.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A free port on 127.0.0.1 from 10000–21999: below Linux's ephemeral range, where the
/// port-0 listeners of the other tests land, and with port + 10000 free as well (a Redis
/// Cluster node's bus).
pub fn free_port() -> u16 {
    loop {
        let port = 10_000 + u16::try_from(rand_below(12_000)).unwrap();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        {
            return port;
        }
    }
}

fn rand_below(n: u32) -> u32 {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % n
}

/// Starts one idp node on a fresh deployment.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|f| f).await
}

/// Starts one idp node on a fresh deployment, with configuration overrides.
pub async fn spawn_app_with(tweak: impl Fn(figment::Figment) -> figment::Figment) -> TestApp {
    let deployment = new_deployment(&tweak).await;
    start_node(deployment, LOOPBACK, &tweak).await
}

/// Starts one idp node answering as `https://localhost:<port>`: a domain name, as WebAuthn
/// requires of a relying party (passkeys do not exist at an IP address). It still listens on
/// 127.0.0.1 only.
pub async fn spawn_app_on_localhost() -> TestApp {
    let no_tweak = |f: figment::Figment| f;
    let deployment = new_deployment(&no_tweak).await;
    start_node(deployment, "localhost", &no_tweak).await
}

/// The host tests address the idp by.
const LOOPBACK: &str = "127.0.0.1";

/// The idp's whole router (every layer: error pages, security headers, body limit) on a fresh
/// deployment, in process: no listener, no TLS, no mail worker. Drive it with
/// `tower::ServiceExt::oneshot`.
#[derive(Debug)]
pub struct InProcess {
    /// The router `Application` serves on its public listener.
    pub router: axum::Router,
    /// The deployment its state points at.
    pub deployment: Arc<Deployment>,
}

/// Builds the idp's router on a fresh deployment (real Postgres schema and Redis prefix).
pub async fn in_process() -> InProcess {
    let no_tweak = |f: figment::Figment| f;
    let deployment = new_deployment(&no_tweak).await;
    let config = node_config(&deployment, "https://127.0.0.1:0", &no_tweak);
    let state = idp::state::AppState::connect(config).await.unwrap();
    InProcess {
        router: idp::app::router(state),
        deployment,
    }
}

/// A fresh deployment: a migrated schema with its signing keys, a Redis prefix, secrets, a
/// certificate, an SMTP sink.
async fn new_deployment(tweak: &dyn Fn(figment::Figment) -> figment::Figment) -> Arc<Deployment> {
    idp::tls::install_crypto_provider();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = std::env::temp_dir().join(format!("idp-test-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca_pem, chain_pem, key_pem) = idp::tls::generate_dev_certs_in_memory().unwrap();
    std::fs::write(dir.join("cert.pem"), chain_pem).unwrap();
    std::fs::write(dir.join("key.pem"), key_pem).unwrap();
    std::fs::write(dir.join("ca.pem"), &ca_pem).unwrap();
    let schema = format!("t_{id}");
    let smtp = smtp::Sink::start();
    let config = base_config(
        &schema,
        &format!("test:{id}:"),
        &dir,
        &[random_b64(), random_b64(), random_b64()],
        "https://127.0.0.1:0",
        smtp.port(),
        tweak,
    );
    let pool = idp::store::pool(&config.database).unwrap();
    idp::store::migrate(&pool, &config.database).await.unwrap();
    let kek = config.key_encryption_key().unwrap();
    {
        let db = pool.get().await.unwrap();
        idp::keys::rotation::ensure_keys(&db, &kek, &config.keys.algorithms)
            .await
            .unwrap();
    }
    let secrets = [
        figment_secret(&config, "keys"),
        figment_secret(&config, "tokens"),
        figment_secret(&config, "session"),
    ];
    Arc::new(Deployment {
        usernames: config.usernames.clone(),
        password_policy: config.password_policy.clone(),
        schema: schema.clone(),
        prefix: config.redis.key_prefix.clone(),
        ca_pem,
        dir,
        secrets,
        db: pool,
        smtp,
    })
}

impl TestApp {
    /// The deployment's `tokens.client_secret_key` (client secrets and NIPs are hashed with it).
    pub fn client_secret_key(&self) -> idp::config::Secret32 {
        secret32(&self.deployment.secrets[1])
    }

    /// The deployment's key-encryption key (signing keys and TOTP secrets at rest).
    pub fn kek(&self) -> idp::config::Secret32 {
        secret32(&self.deployment.secrets[0])
    }

    /// Redis loses everything this deployment wrote (a restart without persistence, a failover
    /// to a replica that had not caught up): every key under its prefix is deleted.
    pub async fn forget_redis_data(&self) {
        let mut redis = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.deployment.prefix))
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

    /// Starts another node of the same deployment (same schema, Redis prefix and secrets).
    pub async fn spawn_second_node(&self) -> TestApp {
        start_node(self.deployment.clone(), LOOPBACK, &|f| f).await
    }

    /// A URL on this node.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A URL on this node's operations listener (plain HTTP, loopback).
    pub fn ops_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.ops_port)
    }

    /// A fresh browser-like client (its own cookies).
    pub fn new_browser(&self) -> reqwest::Client {
        browser(&self.deployment.ca_pem)
    }

    /// Registers a client; returns its secret when confidential.
    pub async fn register_client(&self, registration: Registration) -> Option<String> {
        let db = self.deployment.db.get().await.unwrap();
        let key = secret32(&self.deployment.secrets[1]);
        idp::admin::clients::register(&db, &key, registration)
            .await
            .unwrap()
    }

    /// Adds a professional (a pharmacist) `username` with `PASSWORD`; returns the `sub`.
    pub async fn add_user(&self, username: &str) -> String {
        self.add_account(username, "professional", Some("pharmacien"))
            .await
    }

    /// Adds an account of `account_type` (`professional`, `staff`) with `PASSWORD` and the
    /// address `<username>@example.org`; returns the `sub`.
    pub async fn add_account(
        &self,
        username: &str,
        account_type: &str,
        profession: Option<&str>,
    ) -> String {
        let mut db = self.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let hasher = credentials::test_hasher();
        let user = NewUser {
            username: username.into(),
            password: PASSWORD.into(),
            given_name: "Marie".into(),
            family_name: "Tremblay".into(),
            email: Some(format!("{}@example.org", username.to_lowercase())),
            profession: profession.map(str::to_owned),
            account_type: account_type.into(),
        };
        let rules = idp::admin::users::Rules {
            usernames: &self.deployment.usernames,
            policy: &self.deployment.password_policy,
        };
        let id = idp::admin::users::add(&tx, &hasher, rules, user)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id.to_string()
    }

    /// Rotates the signing keys as `idp keys rotate` does.
    pub async fn rotate_keys(&self, pre_publication_secs: u64) {
        let mut db = self.deployment.db.get().await.unwrap();
        let tx = db.transaction().await.unwrap();
        let kek = secret32(&self.deployment.secrets[0]);
        idp::keys::rotation::rotate(
            &tx,
            &kek,
            &SigningAlg::ALL,
            std::time::Duration::from_secs(pre_publication_secs),
            std::time::Duration::from_secs(300),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

/// A confidential client registration for tests, redirecting to `redirect_uri`.
pub fn confidential_client(id: &str, redirect_uri: &str, alg: SigningAlg) -> Registration {
    Registration {
        id: id.into(),
        name: format!("Client {id}"),
        public: false,
        redirect_uris: vec![redirect_uri.into()],
        post_logout_redirect_uris: vec![format!("{redirect_uri}/after-logout")],
        grant_types: vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "client_credentials".into(),
        ],
        scopes: vec![
            "openid".into(),
            "profile".into(),
            "email".into(),
            "api".into(),
        ],
        id_token_alg: alg,
        first_party: true,
        backchannel_logout_uri: None,
        home_uri: None,
    }
}

/// A public (PKCE-only) client registration for tests.
pub fn public_client(id: &str, redirect_uri: &str, alg: SigningAlg) -> Registration {
    Registration {
        public: true,
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        ..confidential_client(id, redirect_uri, alg)
    }
}

async fn start_node(
    deployment: Arc<Deployment>,
    host: &str,
    tweak: &dyn Fn(figment::Figment) -> figment::Figment,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let public_url = format!("https://{host}:{port}");
    let config = node_config(&deployment, &public_url, tweak);
    let app = idp::app::Application::build_on(config, listener)
        .await
        .unwrap();
    let handle = app.handle();
    let ops_port = app.ops_port();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        issuer: public_url,
        port,
        ops_port,
        http: browser(&deployment.ca_pem),
        smtp: deployment.smtp.clone(),
        deployment,
        handle,
    }
}

/// The configuration of a node of `deployment` answering at `public_url`.
fn node_config(
    deployment: &Deployment,
    public_url: &str,
    tweak: &dyn Fn(figment::Figment) -> figment::Figment,
) -> Config {
    base_config(
        &deployment.schema,
        &deployment.prefix,
        &deployment.dir,
        &deployment.secrets,
        public_url,
        deployment.smtp.port(),
        tweak,
    )
}

fn base_config(
    schema: &str,
    prefix: &str,
    dir: &std::path::Path,
    secrets: &[String; 3],
    public_url: &str,
    smtp_port: u16,
    tweak: &dyn Fn(figment::Figment) -> figment::Figment,
) -> Config {
    let figment = Config::figment(&repo_root().join("config"), "test")
        .merge(Serialized::default("database.url", database_url()))
        .merge(Serialized::default("database.schema", schema))
        .merge(Serialized::default("database.pool_size", 4))
        .merge(Serialized::default("redis.url", redis_url()))
        .merge(Serialized::default("redis.key_prefix", prefix))
        .merge(Serialized::default("server.public_url", public_url))
        .merge(Serialized::default("server.tls_cert", dir.join("cert.pem")))
        .merge(Serialized::default("server.tls_key", dir.join("key.pem")))
        .merge(Serialized::default(
            "server.outbound_ca_file",
            dir.join("ca.pem"),
        ))
        .merge(Serialized::default("keys.encryption_key", &secrets[0]))
        .merge(Serialized::default("tokens.client_secret_key", &secrets[1]))
        .merge(Serialized::default("session.csrf_key", &secrets[2]))
        .merge(Serialized::default("mail.smtp_host", "127.0.0.1"))
        .merge(Serialized::default("mail.smtp_port", smtp_port))
        .merge(Serialized::default("mail.security", "none"));
    Config::from_figment(tweak(figment)).unwrap()
}

fn figment_secret(config: &Config, section: &str) -> String {
    use secrecy::ExposeSecret as _;
    let value = match section {
        "keys" => config.keys.encryption_key.as_ref(),
        "tokens" => config.tokens.client_secret_key.as_ref(),
        _ => config.session.csrf_key.as_ref(),
    };
    value.unwrap().expose_secret().to_owned()
}

fn secret32(b64: &str) -> idp::config::Secret32 {
    let bytes: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
        .try_into()
        .unwrap();
    secrecy::SecretBox::new(Box::new(bytes))
}

/// A client that behaves like a browser for our purposes.
pub fn browser(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Location` of a redirect response.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Follows the sign-in pages' hand-off back to the authorization endpoint
/// (`/authorize/resume?req=…`, where a login or the last forced credential step sends the
/// browser) when `response` is one; any other answer comes back as it is.
pub async fn through_resume(
    app: &TestApp,
    browser: &reqwest::Client,
    response: reqwest::Response,
) -> reqwest::Response {
    let resume = response.status() == 303
        && response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/authorize/resume?req="));
    if !resume {
        return response;
    }
    get(browser, app.url(&location(&response))).await
}

/// GETs `url` with `browser` (redirects are not followed): the raw answer.
pub async fn get(browser: &reqwest::Client, url: impl reqwest::IntoUrl) -> reqwest::Response {
    browser.get(url).send().await.unwrap()
}

/// A query parameter of a URL (the first, decoded).
pub fn query_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The same URL with more query parameters appended.
pub fn with_query(url: &url::Url, extra: &[(&str, &str)]) -> String {
    let mut url = url.clone();
    url.query_pairs_mut().extend_pairs(extra);
    url.to_string()
}

/// A string percent-encoded for a query parameter value (form encoding).
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Polls `done` every `every` until it holds or `within` has passed; whether it held.
pub async fn wait_until(
    within: Duration,
    every: Duration,
    mut done: impl AsyncFnMut() -> bool,
) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if done().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(every).await;
    }
}

/// An idp with one registered client, as its relying party sees it after discovery.
#[derive(Debug)]
pub struct Provider {
    /// The running node.
    pub app: TestApp,
    /// The client's secret; `None` for a public client.
    pub secret: Option<String>,
    /// The discovered provider metadata.
    pub metadata: CoreProviderMetadata,
}

/// Starts an idp on a fresh deployment, registers `client` and discovers the provider.
pub async fn provider(client: Registration) -> Provider {
    provider_with(client, |f| f).await
}

/// [`provider`] with configuration overrides.
pub async fn provider_with(
    client: Registration,
    tweak: impl Fn(figment::Figment) -> figment::Figment,
) -> Provider {
    let app = spawn_app_with(tweak).await;
    let secret = app.register_client(client).await;
    let metadata = rp::discover(&app).await;
    Provider {
        app,
        secret,
        metadata,
    }
}

impl TestApp {
    /// Starts another node of the same deployment that answers as the same issuer, as the
    /// nodes behind one load balancer do: same `server.public_url` (so `iss`, the discovery
    /// document and the token checks agree), its own port. The returned handle's `issuer` and
    /// `url()` address the new node directly; its tokens carry `self.issuer`.
    pub async fn spawn_peer_node(&self) -> TestApp {
        let public_url = self.issuer.clone();
        start_node(
            self.deployment.clone(),
            LOOPBACK,
            &move |f: figment::Figment| {
                f.merge(Serialized::default("server.public_url", public_url.clone()))
            },
        )
        .await
    }
}

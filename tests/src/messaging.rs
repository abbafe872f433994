//! The messaging service in a test: the real service, over TLS on port 0, against its own fresh
//! Postgres schema, trusting a real idp started by [`crate::spawn_app`] (registered there as the
//! confidential client `messaging`). Tokens come from the idp's real login and code flow.

use std::path::Path;

use figment::providers::Serialized;
use idp::keys::SigningAlg;
use messaging::config::Config;
use messaging::state::AppState;
use serde_json::Value;

use crate::oauth::{self, field};
use crate::{CALLBACK, PASSWORD, TestApp, confidential_client, random_b64, repo_root, rp};

/// The messaging client id at the idp, and the audience of its bearer tokens.
pub const CLIENT: &str = "messaging";

/// A running messaging service and the idp it trusts.
#[derive(Debug)]
pub struct Messaging {
    /// The idp.
    pub idp: TestApp,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The service's state (its pool, keyring, configuration).
    pub state: AppState,
    /// The `messaging` client's secret at the idp.
    pub secret: String,
    metadata: openidconnect::core::CoreProviderMetadata,
}

/// The service's configuration for a test: its own schema and Redis prefix, the idp's issuer
/// and CA; `tweak` changes what a test needs.
pub fn config(
    idp: &TestApp,
    schema: &str,
    dir: &Path,
    tweak: &dyn Fn(figment::Figment) -> figment::Figment,
) -> Config {
    std::fs::write(dir.join("ca.pem"), &idp.deployment.ca_pem).unwrap();
    std::fs::write(dir.join("messaging-master-key"), random_b64()).unwrap();
    let figment = Config::figment(&repo_root().join("config"), "test")
        .merge(Serialized::default("server.bind", "127.0.0.1:0"))
        .merge(Serialized::default("server.tls", "proxy"))
        .merge(Serialized::default("database.url", crate::database_url()))
        .merge(Serialized::default("database.schema", schema))
        .merge(Serialized::default("database.pool_size", 8))
        .merge(Serialized::default("idp.issuer", idp.issuer.clone()))
        .merge(Serialized::default("idp.ca_file", dir.join("ca.pem")))
        .merge(Serialized::default("redis.url", crate::redis_url()))
        .merge(Serialized::default("mail.smtp_port", idp.smtp.port()))
        .merge(Serialized::default("mail.poll_ms", 100))
        .merge(Serialized::default(
            "attachments.fs_root",
            dir.join(format!("blobs-{schema}")),
        ))
        .merge(Serialized::default(
            "redis.key_prefix",
            format!("{schema}:"),
        ))
        .merge(Serialized::default(
            "keys.master_key_file",
            dir.join("messaging-master-key"),
        ));
    Config::from_figment(tweak(figment)).unwrap()
}

/// Starts messaging beside a fresh idp, with the teams of the configuration's categories.
pub async fn spawn_messaging() -> Messaging {
    spawn_messaging_with(|f| f).await
}

/// [`spawn_messaging`] with its attachments in the S3-compatible server `scripts/test` starts
/// (s3s-fs), under a folder of the bucket of their own.
pub async fn spawn_messaging_s3(
    tweak: impl Fn(figment::Figment) -> figment::Figment + Send + Sync + 'static,
) -> Messaging {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with scripts/test (it starts s3s-fs)")
        })
    };
    let endpoint = var("MESSAGING_TEST_S3_ENDPOINT");
    let bucket = var("MESSAGING_TEST_S3_BUCKET");
    let access = var("MESSAGING_TEST_S3_ACCESS_KEY");
    let secret = var("MESSAGING_TEST_S3_SECRET_FILE");
    let prefix = uuid::Uuid::new_v4().simple().to_string();
    spawn_messaging_with(move |f| {
        tweak(f)
            .merge(Serialized::default("attachments.store", "s3"))
            .merge(Serialized::default("attachments.s3.endpoint", &endpoint))
            .merge(Serialized::default("attachments.s3.bucket", &bucket))
            .merge(Serialized::default("attachments.s3.access_key_id", &access))
            .merge(Serialized::default(
                "attachments.s3.secret_access_key_file",
                &secret,
            ))
            .merge(Serialized::default("attachments.s3.prefix", &prefix))
    })
    .await
}

/// [`spawn_messaging`] with one setting changed (`"quotas.send_per_minute"`, 2).
pub async fn spawn_messaging_setting<V>(key: &'static str, value: V) -> Messaging
where
    V: serde::Serialize + Clone + Send + Sync + 'static,
{
    spawn_messaging_with(move |f| f.merge(Serialized::default(key, value.clone()))).await
}

/// [`spawn_messaging`] with configuration changes.
pub async fn spawn_messaging_with(
    tweak: impl Fn(figment::Figment) -> figment::Figment,
) -> Messaging {
    let idp = crate::spawn_app().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let mut registration = confidential_client(CLIENT, CALLBACK, SigningAlg::Es256);
    registration.redirect_uris.push(format!("{url}/callback"));
    registration.post_logout_redirect_uris = vec![format!("{url}/")];
    registration.backchannel_logout_uri = Some(format!("{url}/backchannel-logout"));
    let secret = idp.register_client(registration).await.unwrap();
    let dir = &idp.deployment.dir;
    std::fs::write(dir.join("messaging.secret"), &secret).unwrap();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let public_url = url.clone();
    let secret_file = dir.join("messaging.secret");
    let config = config(&idp, &format!("m_{id}"), dir, &move |f| {
        tweak(
            f.merge(Serialized::default("server.public_url", public_url.clone()))
                .merge(Serialized::default(
                    "idp.client_secret_file",
                    secret_file.clone(),
                )),
        )
    });
    let state = AppState::connect(config)
        .unwrap()
        .with_signin()
        .await
        .unwrap();
    messaging::store::migrate(&state.db, &state.config.database)
        .await
        .unwrap();
    state.keyring.ensure_active(&state.db).await.unwrap();
    messaging::notify::start(state.clone()).unwrap();
    {
        let db = state.db.get().await.unwrap();
        for team in ["facturation", "inscription", "selat", "acces"] {
            let team = messaging::store::teams::Team {
                code: team.into(),
                name_fr: format!("Équipe {team}"),
                name_en: format!("Team {team}"),
            };
            messaging::store::teams::upsert(&db, &team).await.unwrap();
        }
    }
    let tls = idp::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
    let router = messaging::service(state.clone());
    tokio::spawn(messaging::serve_tls(
        listener,
        router,
        tls,
        std::future::pending(),
    ));
    let metadata = rp::discover(&idp).await;
    Messaging {
        idp,
        url,
        state,
        secret,
        metadata,
    }
}

impl Messaging {
    /// An HTTP client that trusts the test CA (and keeps cookies, like a browser).
    pub fn http(&self) -> reqwest::Client {
        self.idp.new_browser()
    }

    /// Signs `username` in at the idp for the `messaging` client: the token response.
    pub async fn tokens(&self, username: &str) -> Value {
        let started = rp::start(
            &self.metadata,
            CLIENT,
            CALLBACK,
            &["openid", "profile", "email"],
        );
        let browser = self.idp.new_browser();
        let callback = rp::sign_in(
            &browser,
            &self.idp,
            started.url.as_str(),
            username,
            PASSWORD,
        )
        .await;
        let code = rp::code_from(&callback, &self.idp, &started.state);
        let (status, tokens) = oauth::redeem(
            &self.idp,
            CLIENT,
            &self.secret,
            code.secret(),
            started.verifier.secret(),
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        tokens
    }

    /// A second node of the same deployment (same schema, keys and configuration), its URL.
    pub async fn spawn_peer(&self) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let state = AppState::connect_shared(self.state.config.clone()).unwrap();
        let dir = &self.idp.deployment.dir;
        let tls = idp::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).unwrap();
        let router = messaging::service(state);
        tokio::spawn(messaging::serve_tls(
            listener,
            router,
            tls,
            std::future::pending(),
        ));
        url
    }

    /// An access token for `username`.
    pub async fn token(&self, username: &str) -> String {
        field(&self.tokens(username).await, "access_token")
    }

    /// Makes `username` an agent of `team` in messaging (and nothing at the idp).
    pub async fn add_agent(&self, username: &str, team: &str, supervisor: bool) {
        let db = self.state.db.get().await.unwrap();
        let member = messaging::store::agents::Membership {
            username: username.to_uppercase(),
            team: team.into(),
            supervisor,
        };
        messaging::store::agents::upsert(&db, &member)
            .await
            .unwrap();
    }

    /// Grants an agency role at the idp.
    pub async fn grant_role(&self, username: &str, role: idp::domain::Role) {
        let db = self.idp.deployment.db.get().await.unwrap();
        idp::admin::roles::grant(&db, username, role).await.unwrap();
        // An agency role signs in with a second factor: this one has an authenticator.
        crate::credentials::fresh_totp(&self.idp, username).await;
    }

    /// Opens a billing thread with `subject` and a first message `body`: its id.
    pub async fn open_thread(&self, token: &str, subject: &str, body: &str) -> String {
        let thread = serde_json::json!({ "category": "billing", "subject": subject, "body": body });
        let (status, opened) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/threads",
                Some(token),
                Some(&thread),
            )
            .await;
        assert_eq!(status, 201, "{opened}");
        opened["thread_id"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/threads/{thread}/messages` with `body`.
    pub async fn post_message(&self, token: &str, thread: &str, body: &Value) -> (u16, Value) {
        let path = format!("/api/v1/threads/{thread}/messages");
        self.call(reqwest::Method::POST, &path, Some(token), Some(body))
            .await
    }

    /// `GET /api/v1/threads/{thread}`.
    pub async fn show_thread(&self, token: &str, thread: &str) -> (u16, Value) {
        let path = format!("/api/v1/threads/{thread}");
        self.call(reqwest::Method::GET, &path, Some(token), None)
            .await
    }

    /// Every blob the store holds, whichever the backend (temporary uploads included).
    pub async fn blob_names(&self) -> Vec<String> {
        self.state.blobs.names().await.unwrap()
    }

    /// A blob's stored (sealed) bytes.
    pub async fn blob_bytes(&self, name: &str) -> Vec<u8> {
        use tokio::io::AsyncReadExt as _;
        let mut reader = self.state.blobs.open_blob(name).await.unwrap();
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await.unwrap();
        bytes
    }

    /// Uploads `bytes` as `name` to `thread`: the status and the JSON answer.
    pub async fn upload(
        &self,
        token: &str,
        thread: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let response = self
            .http()
            .post(format!(
                "{}/api/v1/threads/{thread}/attachments?name={}",
                self.url,
                crate::urlencode(name)
            ))
            .bearer_auth(token)
            .header("Content-Type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A JSON request to the API with `token`: the status and the JSON answer (`Null` when
    /// the body is empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.http().request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON from {path}: {text}"))
        };
        (status, json)
    }
}

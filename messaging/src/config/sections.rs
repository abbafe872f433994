//! The sections of the configuration, one type each.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

/// How the service is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// HTTPS here (rustls).
    Rustls,
    /// Plain HTTP behind a TLS-terminating proxy.
    Proxy,
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub bind: String,
    /// The URL users reach the service at (sign-in redirect, links in e-mails).
    pub public_url: Url,
    /// TLS here or at a proxy.
    pub tls: TlsMode,
    /// Certificate chain (PEM), with `tls = "rustls"`.
    pub tls_cert: PathBuf,
    /// Its private key.
    pub tls_key: PathBuf,
    /// Largest JSON or form body, in bytes.
    pub body_limit_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed (the client address of the journal and
    /// the rate limits).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// `[database]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// libpq-style URL.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: usize,
    /// Schema to use instead of `public` (tests use one per test); created by `migrate`.
    #[serde(default)]
    pub schema: Option<String>,
}

/// `[idp]`: the provider whose tokens this service accepts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// Its issuer (`iss`).
    pub issuer: Url,
    /// Our client id at the provider; the `aud` our bearer tokens must carry.
    pub client_id: String,
    /// Our client secret (pages sign-in); none for an API-only node.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// An extra root CA to trust (the dev CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// How long the provider's key set is kept before it is fetched again.
    pub jwks_cache_secs: u64,
    /// A token with an unknown `kid` refetches the key set at most this often.
    pub jwks_refetch_floor_secs: u64,
}

/// `[keys]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// 32 random bytes, base64: seals the key-encryption keys stored in the database.
    pub master_key_file: PathBuf,
}

/// `[threads]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadsConfig {
    /// A reply reopens a closed thread within this many days of its closing.
    pub reopen_within_days: u32,
    /// Threads or messages per page.
    pub page_size: u32,
    /// Longest subject line, in characters.
    pub subject_max_chars: usize,
    /// Longest message body, in characters.
    pub body_max_chars: usize,
}

/// One subject category of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable code (in the API and the database).
    pub code: String,
    /// Label in French.
    pub label_fr: String,
    /// Label in English.
    pub label_en: String,
    /// The team whose queue receives new threads of this category.
    pub team: String,
}

impl Category {
    /// The label in `lang` (`en…` → English, anything else French).
    pub fn label(&self, lang: &str) -> &str {
        if lang.starts_with("en") {
            &self.label_en
        } else {
            &self.label_fr
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        let code_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 40
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !code_ok(&self.code) {
            return Err(format!("code `{}`: a-z, 0-9 and -", self.code));
        }
        if !code_ok(&self.team) {
            return Err(format!("team `{}`: a-z, 0-9 and -", self.team));
        }
        if self.label_fr.trim().is_empty() || self.label_en.trim().is_empty() {
            return Err("label_fr and label_en are required".into());
        }
        Ok(())
    }
}

/// `[redis]`: the counters every node shares (per-user quotas); one server, a Sentinel set or a Cluster (the kit's, shared with the idp).
pub use service_kit::redis::RedisConfig;

/// `[quotas]`: per person, shared by every node (Redis).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotasConfig {
    /// Messages (and new threads) one person may send per minute.
    pub send_per_minute: u32,
    /// … per day.
    pub send_per_day: u32,
    /// Attachments one person may upload per minute.
    pub upload_per_minute: u32,
    /// … per day.
    pub upload_per_day: u32,
}

/// `[mail]`: the content-free notices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// SMTP relay host.
    pub smtp_host: String,
    /// SMTP relay port.
    pub smtp_port: u16,
    /// How the connection to the relay is protected.
    pub security: service_kit::mail::SmtpSecurity,
    /// SMTP user, when the relay asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the SMTP password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The `From:` mailbox.
    pub from: String,
    /// How often the worker looks for notices to send, in milliseconds.
    pub poll_ms: u64,
    /// At most one e-mail per person per this many seconds (what arrives meanwhile waits for
    /// the next one).
    pub notify_interval_secs: u64,
    /// First retry delay after a failed delivery; doubles each time, up to an hour.
    pub retry_base_secs: u64,
    /// Attempts before a notice is left failed.
    pub max_attempts: i32,
}

/// `[attachments]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Media types accepted, as the content (not the name) says.
    pub allowed_types: Vec<String>,
    /// Where the sealed blobs go: `fs` (a folder every node shares) or `s3`.
    pub store: BlobStoreKind,
    /// The folder of the `fs` store.
    pub fs_root: PathBuf,
    /// The S3-compatible store, when `store = "s3"`.
    #[serde(default)]
    pub s3: Option<S3Config>,
    /// The antivirus hook: a clamd that scans each upload (INSTREAM), when configured.
    #[serde(default)]
    pub clamd: Option<ClamdConfig>,
}

/// `attachments.store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStoreKind {
    /// A local (or shared) folder.
    Fs,
    /// Any S3-compatible object store.
    S3,
}

/// `[attachments.s3]`: an S3-compatible bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// The service's address (`https://…`; `http://` only for a store on this machine).
    pub endpoint: String,
    /// The bucket (it must exist).
    pub bucket: String,
    /// The region the signatures name.
    #[serde(default = "default_region")]
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The file holding the secret access key.
    pub secret_access_key_file: PathBuf,
    /// A folder in the bucket for this service's blobs (none: the bucket's root).
    #[serde(default)]
    pub prefix: Option<String>,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// `[attachments.clamd]`: where clamd listens (its INSTREAM command scans each upload).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClamdConfig {
    /// `host:port` of clamd's TCP socket.
    pub address: String,
    /// How long a scan may take before the upload is refused, in milliseconds.
    #[serde(default = "default_clamd_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_clamd_timeout_ms() -> u64 {
    30_000
}

/// `[rate_limit]`: per-IP shaping of every route but the probes and assets, per process.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per second per address, on average.
    pub per_ip_per_second: u32,
    /// Bursts allowed above the average.
    pub per_ip_burst: u32,
}

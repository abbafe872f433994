//! TLS for both services: development certificates, the rustls server configuration and the
//! local secret files.
//!
//! In development `scripts/dev` (through `idp dev-setup`) calls [`ensure_dev_certs`] to
//! create a private certificate authority and a `localhost` certificate under `certs/`, and
//! [`ensure_secret_file`] for the keys under `.local/secrets/`. In production the
//! certificate comes from the operator, or TLS ends at a proxy in front of the nodes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use base64::Engine;
use chrono::{Datelike, Days, NaiveDate, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::version::{TLS12, TLS13};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// File name of the development CA certificate (import it in a browser to trust the dev site).
pub const CA_CERT_FILE: &str = "dev-ca.pem";
/// File name of the development CA private key.
pub const CA_KEY_FILE: &str = "dev-ca.key";
/// File name of the `localhost` certificate chain (leaf first, then the CA).
pub const CERT_FILE: &str = "localhost.pem";
/// File name of the `localhost` private key.
pub const KEY_FILE: &str = "localhost.key";

/// Common name of the development certificate authority.
const CA_COMMON_NAME: &str = "Agence — AC de développement";
/// Names the development server certificate is valid for.
const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// Validity of the development CA, in days.
const CA_VALIDITY_DAYS: u64 = 3650;
/// Validity of the development server certificate, in days.
const SERVER_VALIDITY_DAYS: u64 = 365;

/// Paths of the development certificate files, as written by [`ensure_dev_certs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCerts {
    /// The development CA certificate (PEM).
    pub ca_pem: PathBuf,
    /// The `localhost` certificate chain: leaf then CA (PEM).
    pub cert_pem: PathBuf,
    /// The `localhost` private key (PKCS#8 PEM, mode 0600).
    pub key_pem: PathBuf,
}

/// A freshly generated development CA and `localhost` certificate, all PEM.
struct GeneratedCerts {
    ca_cert: String,
    ca_key: String,
    chain: String,
    key: String,
}

/// Makes sure `dir` holds a development CA and a `localhost` certificate signed by it.
///
/// When `dev-ca.pem`, `localhost.pem` and `localhost.key` all exist nothing is written;
/// otherwise a new CA and certificate are generated and the four files (`dev-ca.pem`,
/// `dev-ca.key`, `localhost.pem`, `localhost.key`) are (re)written, keys with mode 0600.
pub fn ensure_dev_certs(dir: &Path) -> anyhow::Result<DevCerts> {
    let certs = DevCerts {
        ca_pem: dir.join(CA_CERT_FILE),
        cert_pem: dir.join(CERT_FILE),
        key_pem: dir.join(KEY_FILE),
    };
    if certs.ca_pem.is_file() && certs.cert_pem.is_file() && certs.key_pem.is_file() {
        tracing::debug!(dir = %dir.display(), "development certificates already present");
        return Ok(certs);
    }

    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let generated = generate()?;
    // Keys first and the certificate files last: an interrupted run leaves a certificate
    // missing, so the next run generates everything again.
    write_private(&dir.join(CA_KEY_FILE), generated.ca_key.as_bytes())?;
    write_private(&certs.key_pem, generated.key.as_bytes())?;
    write_public(&certs.cert_pem, generated.chain.as_bytes())?;
    write_public(&certs.ca_pem, generated.ca_cert.as_bytes())?;
    tracing::info!(dir = %dir.display(), "generated development CA and localhost certificate");
    Ok(certs)
}

/// Generates a development CA and a `localhost` certificate without touching the disk.
///
/// Returns `(CA certificate PEM, certificate chain PEM (leaf then CA), leaf private key PEM)`.
/// The tests use it to get a fresh CA per run.
pub fn generate_dev_certs_in_memory() -> anyhow::Result<(String, String, String)> {
    let generated = generate()?;
    Ok((generated.ca_cert, generated.chain, generated.key))
}

/// Generates the development CA (ECDSA P-256) and a server certificate signed by it.
fn generate() -> anyhow::Result<GeneratedCerts> {
    let today = Utc::now().date_naive();
    let yesterday = today
        .checked_sub_days(Days::new(1))
        .context("date out of range")?;

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .context("cannot generate the development CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())
        .context("cannot build the development CA parameters")?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, CA_COMMON_NAME);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(
        &mut ca_params,
        yesterday,
        days_after(today, CA_VALIDITY_DAYS)?,
    )?;
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("cannot sign the development CA certificate")?;

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .context("cannot generate the localhost key")?;
    let names: Vec<String> = SERVER_NAMES.iter().map(|name| (*name).to_owned()).collect();
    let mut params =
        CertificateParams::new(names).context("cannot build the localhost certificate")?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(
        &mut params,
        yesterday,
        days_after(today, SERVER_VALIDITY_DAYS)?,
    )?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let cert = params
        .signed_by(&key, &issuer)
        .context("cannot sign the localhost certificate")?;

    let ca_pem = ca_cert.pem();
    Ok(GeneratedCerts {
        chain: format!("{}{}", cert.pem(), ca_pem),
        ca_cert: ca_pem,
        ca_key: ca_key.serialize_pem(),
        key: key.serialize_pem(),
    })
}

/// `date` plus `days`, failing instead of overflowing.
fn days_after(date: NaiveDate, days: u64) -> anyhow::Result<NaiveDate> {
    date.checked_add_days(Days::new(days))
        .context("date out of range")
}

/// Makes `params` valid from midnight UTC of `from` to midnight UTC of `to`.
fn set_validity(
    params: &mut CertificateParams,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<()> {
    let (year, month, day) = ymd(from)?;
    params.not_before = rcgen::date_time_ymd(year, month, day);
    let (year, month, day) = ymd(to)?;
    params.not_after = rcgen::date_time_ymd(year, month, day);
    Ok(())
}

/// The calendar date as rcgen's `date_time_ymd` takes it.
fn ymd(date: NaiveDate) -> anyhow::Result<(i32, u8, u8)> {
    // chrono months are 1..=12 and days 1..=31: these conversions never fail.
    let month = u8::try_from(date.month()).context("month out of range")?;
    let day = u8::try_from(date.day()).context("day out of range")?;
    Ok((date.year(), month, day))
}

/// Builds the rustls server configuration from a PEM certificate chain and private key.
///
/// TLS 1.3 and 1.2 only, aws-lc-rs cipher suites, no client authentication, ALPN `h2` then
/// `http/1.1`. Errors name the file that could not be read.
pub fn server_config(cert_path: &Path, key_path: &Path) -> anyhow::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_file_iter(cert_path)
        .with_context(|| format!("cannot read certificate file {}", cert_path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("invalid PEM in certificate file {}", cert_path.display()))?;
    if chain.is_empty() {
        anyhow::bail!("no certificate found in {}", cert_path.display());
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("cannot read private key file {}", key_path.display()))?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&TLS13, &TLS12])
        .context("cannot select the TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "certificate {} does not match private key {}",
                cert_path.display(),
                key_path.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves a renewed certificate without a restart: every `every`, looks at the modification
/// times of `cert_path` and `key_path`, and when either changed builds a new configuration
/// from them and hands it to `apply` (the acceptor's reload: connections already open keep
/// theirs, new ones get the new certificate). A pair that does not load — written halfway,
/// a key that does not match — is logged and the served certificate stays; the next change
/// is tried again. Runs until its task is dropped.
pub async fn keep_reloading(
    cert_path: PathBuf,
    key_path: PathBuf,
    every: std::time::Duration,
    apply: impl Fn(rustls::ServerConfig),
) {
    let stamp = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen = (stamp(&cert_path), stamp(&key_path));
    loop {
        tokio::time::sleep(every).await;
        let now = (stamp(&cert_path), stamp(&key_path));
        if now == seen {
            continue;
        }
        seen = now;
        match server_config(&cert_path, &key_path) {
            Ok(config) => {
                apply(config);
                tracing::info!(cert = %cert_path.display(), "TLS certificate reloaded");
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate changed but does not load: the served one stays");
            }
        }
    }
}

/// Installs aws-lc-rs as the process-wide rustls crypto provider.
///
/// Safe to call more than once: a provider that is already installed is kept.
pub fn install_crypto_provider() {
    if rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .is_err()
    {
        tracing::trace!("a rustls crypto provider was already installed");
    }
}

/// Makes sure `path` holds a secret: when missing, writes 32 random bytes as standard base64
/// followed by a newline, with mode 0600, creating the parent directories.
///
/// An existing file is left untouched.
pub fn ensure_secret_file(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no randomness available for {}", path.display()))?;
    let mut encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded.push('\n');
    write_private(path, encoded.as_bytes())?;
    tracing::info!(path = %path.display(), "generated secret file");
    Ok(())
}

/// Writes a file readable by its owner only (0600 on Unix), tightening an existing file's mode.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // `mode` only applies when the file is created; an older file may be wider.
        if path.exists() {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
        }
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes a public file (certificate) with the default permissions.
fn write_public(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh, empty directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let dir = std::env::temp_dir().join(format!(
                "idp-tls-test-{}-{nanos}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn in_memory_certs_build_a_server_config() {
        let (ca, chain, key) = generate_dev_certs_in_memory().unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(chain.ends_with(&ca), "the chain ends with the CA");
        assert!(key.contains("BEGIN PRIVATE KEY"));

        let dir = TempDir::new();
        let cert_path = dir.0.join("chain.pem");
        let key_path = dir.0.join("key.pem");
        fs::write(&cert_path, &chain).unwrap();
        fs::write(&key_path, &key).unwrap();
        let config = server_config(&cert_path, &key_path).unwrap();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    /// Runs a TLS handshake in memory between a client trusting `ca` and `server`.
    fn handshake(
        ca: &str,
        server: rustls::ServerConfig,
        version: &'static rustls::SupportedProtocolVersion,
        name: &str,
    ) -> Result<rustls::ServerConnection, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client_config.alpn_protocols = vec![b"h2".to_vec()];
        let server_name = rustls_pki_types::ServerName::try_from(name.to_owned()).unwrap();
        let mut client =
            rustls::ClientConnection::new(Arc::new(client_config), server_name).unwrap();
        let mut server = rustls::ServerConnection::new(Arc::new(server)).unwrap();
        while client.is_handshaking() || server.is_handshaking() {
            let mut buf = Vec::new();
            client.write_tls(&mut buf).unwrap();
            server.read_tls(&mut buf.as_slice()).unwrap();
            server.process_new_packets()?;
            let mut buf = Vec::new();
            server.write_tls(&mut buf).unwrap();
            client.read_tls(&mut buf.as_slice()).unwrap();
            client.process_new_packets()?;
        }
        Ok(server)
    }

    #[test]
    fn a_client_trusting_the_dev_ca_connects() {
        let dir = TempDir::new();
        let certs = ensure_dev_certs(&dir.0).unwrap();
        let ca = fs::read_to_string(&certs.ca_pem).unwrap();
        for name in SERVER_NAMES {
            for version in [&TLS13, &TLS12] {
                let config = server_config(&certs.cert_pem, &certs.key_pem).unwrap();
                let server = handshake(&ca, config, version, name).unwrap();
                assert_eq!(server.alpn_protocol(), Some(&b"h2"[..]));
                assert_eq!(server.protocol_version(), Some(version.version));
            }
        }
        // A name the certificate does not cover is refused.
        let config = server_config(&certs.cert_pem, &certs.key_pem).unwrap();
        assert!(handshake(&ca, config, &TLS13, "example.org").is_err());
    }

    #[test]
    fn every_run_gets_a_fresh_ca() {
        let (first, _, _) = generate_dev_certs_in_memory().unwrap();
        let (second, _, _) = generate_dev_certs_in_memory().unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn ensure_dev_certs_is_idempotent() {
        let dir = TempDir::new();
        let certs = ensure_dev_certs(&dir.0).unwrap();
        assert!(dir.0.join(CA_KEY_FILE).is_file());
        let before = (
            fs::read(&certs.ca_pem).unwrap(),
            fs::read(&certs.cert_pem).unwrap(),
            fs::read(&certs.key_pem).unwrap(),
        );

        let again = ensure_dev_certs(&dir.0).unwrap();
        assert_eq!(again, certs);
        let after = (
            fs::read(&again.ca_pem).unwrap(),
            fs::read(&again.cert_pem).unwrap(),
            fs::read(&again.key_pem).unwrap(),
        );
        assert_eq!(before, after, "a second call must not rewrite the files");
        server_config(&certs.cert_pem, &certs.key_pem).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new();
        let certs = ensure_dev_certs(&dir.0).unwrap();
        for key in [certs.key_pem, dir.0.join(CA_KEY_FILE)] {
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
    }

    #[test]
    fn missing_files_are_named_in_the_error() {
        let dir = TempDir::new();
        let missing_cert = dir.0.join("no-such-cert.pem");
        let err = server_config(&missing_cert, &dir.0.join("key.pem")).unwrap_err();
        assert!(
            format!("{err:#}").contains(&missing_cert.display().to_string()),
            "{err:#}"
        );

        let (_, chain, _) = generate_dev_certs_in_memory().unwrap();
        let cert_path = dir.0.join("chain.pem");
        fs::write(&cert_path, chain).unwrap();
        let missing_key = dir.0.join("no-such-key.pem");
        let err = server_config(&cert_path, &missing_key).unwrap_err();
        assert!(
            format!("{err:#}").contains(&missing_key.display().to_string()),
            "{err:#}"
        );
    }

    #[test]
    fn secret_file_is_created_once() {
        let dir = TempDir::new();
        let path = dir.0.join("nested/secrets/kek");
        ensure_secret_file(&path).unwrap();
        let first = fs::read_to_string(&path).unwrap();
        assert!(first.ends_with('\n'));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(first.trim_end())
            .unwrap();
        assert_eq!(decoded.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }

        ensure_secret_file(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), first);
    }
}

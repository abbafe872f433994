//! TOTP (RFC 6238) with totp-rs: SHA-1, 6 digits, 30-second steps, one step of clock skew each
//! way — what every authenticator app reads from the `otpauth://` URI. The secret is 160 random
//! bits (RFC 4226 §4), sealed at rest under the key-encryption key with the account id as
//! associated data, so a sealed secret copied to another account does not open.

use secrecy::ExposeSecret as _;
use totp_rs::{Builder, Secret, Totp};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::config::Secret32;

/// Why a TOTP could not be made or opened.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    /// No randomness, or the library refused the parameters.
    #[error("TOTP: {0}")]
    Failed(String),
    /// The sealed secret does not open with this key for this account.
    #[error("the TOTP secret does not open")]
    Sealed,
}

/// A fresh 160-bit secret.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, TotpError> {
    let mut secret = Zeroizing::new(vec![0u8; 20]);
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| TotpError::Failed("rng".into()))?;
    Ok(secret)
}

fn totp(secret: &[u8], username: &str) -> Result<Totp, TotpError> {
    Builder::new()
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(crate::domain::authentication::AGENCY_SHORT_NAME))
        .with_account_name(username.replace(':', ""))
        .build()
        .map_err(|e| TotpError::Failed(e.to_string()))
}

/// The time step a code is right for (now, or one step either side); `None` when wrong.
pub fn step_of(secret: &[u8], code: &str) -> Result<Option<i64>, TotpError> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    Ok(totp(secret, "-")?
        .check(code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The current code (tests and the dev demo read an authenticator's view).
pub fn current_code(secret: &[u8]) -> Result<String, TotpError> {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
    Ok(totp(secret, "-")?.generate(now).to_string())
}

/// The `otpauth://totp/…` URI an authenticator app scans.
pub fn uri(secret: &[u8], username: &str) -> Result<String, TotpError> {
    totp(secret, username)?
        .to_url()
        .map_err(|e| TotpError::Failed(e.to_string()))
}

/// The secret in base32, in groups of four, for typing it by hand.
pub fn typed_form(secret: &[u8]) -> String {
    let base32 = Secret::from(secret.to_vec()).to_base32();
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The URI as a QR code, an SVG document.
pub fn qr_svg(uri: &str) -> Result<String, TotpError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| TotpError::Failed(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// Seals a secret for `account` (or for a pending enrolment, `context`).
pub fn seal(kek: &Secret32, context: &[u8], secret: &[u8]) -> Result<Vec<u8>, TotpError> {
    service_kit::seal::seal(kek.expose_secret(), context, secret)
        .map_err(|_| TotpError::Failed("sealing".into()))
}

/// Opens a sealed secret.
pub fn unseal(
    kek: &Secret32,
    context: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TotpError> {
    service_kit::seal::unseal(kek.expose_secret(), context, sealed).map_err(|_| TotpError::Sealed)
}

/// The associated data of an account's sealed secret.
pub fn account_context(account: Uuid) -> Vec<u8> {
    [b"totp:".as_slice(), account.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_code_checks_and_a_wrong_one_does_not() {
        let secret = new_secret().unwrap();
        let code = current_code(&secret).unwrap();
        assert_eq!(code.len(), 6);
        assert!(step_of(&secret, &code).unwrap().is_some());
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert_eq!(step_of(&secret, &wrong).unwrap(), None);
        assert_eq!(step_of(&secret, "abcdef").unwrap(), None);
        assert_eq!(step_of(&secret, "").unwrap(), None);
    }

    #[test]
    fn the_uri_names_the_agency_and_the_user_and_the_qr_is_svg() {
        let secret = new_secret().unwrap();
        let uri = uri(&secret, "CE100001").unwrap();
        assert!(uri.starts_with("otpauth://totp/RAMQ:CE100001?"), "{uri}");
        assert!(uri.contains(&Secret::from(secret.to_vec()).to_base32()));
        assert!(qr_svg(&uri).unwrap().contains("<svg"));
        assert_eq!(typed_form(&secret).split(' ').count(), 8);
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_account() {
        let kek = Secret32::new(Box::new([3u8; 32]));
        let secret = new_secret().unwrap();
        let a = account_context(Uuid::from_u128(1));
        let sealed = seal(&kek, &a, &secret).unwrap();
        assert_eq!(&*unseal(&kek, &a, &sealed).unwrap(), &*secret);
        assert!(unseal(&kek, &account_context(Uuid::from_u128(2)), &sealed).is_err());
    }
}

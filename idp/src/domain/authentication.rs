//! How a user authenticated, as relying parties read it: the `amr` claim lists the methods
//! (RFC 8176 §2 values) and the `acr` claim names the level they reach (OpenID Connect Core
//! §2). The values the idp uses are advertised in the discovery document.

/// The name authenticator apps and passkey providers show for the agency (the TOTP issuer, the
/// WebAuthn relying party's name).
pub const AGENCY_SHORT_NAME: &str = "RAMQ";

/// A password was checked (RFC 8176 `pwd`).
pub const PASSWORD: &str = "pwd";
/// A one-time code: TOTP or a single-use recovery code (RFC 8176 `otp`).
pub const ONE_TIME_CODE: &str = "otp";
/// Proof of possession of a key held by an authenticator: a passkey (RFC 8176 `hwk`).
pub const HARDWARE_KEY: &str = "hwk";

/// The level of a password alone.
pub const ACR_PASSWORD: &str = "pwd";
/// The level of a password and a second factor.
pub const ACR_MULTI_FACTOR: &str = "mfa";

/// Whether the methods `amr` include a second factor.
pub fn is_multi_factor(amr: &[String]) -> bool {
    amr.iter().any(|m| m == ONE_TIME_CODE || m == HARDWARE_KEY)
}

/// The `acr` the methods `amr` reach.
pub fn acr(amr: &[String]) -> &'static str {
    if is_multi_factor(amr) {
        ACR_MULTI_FACTOR
    } else {
        ACR_PASSWORD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_factor_raises_the_level() {
        assert_eq!(acr(&["pwd".into()]), "pwd");
        assert_eq!(acr(&["pwd".into(), "otp".into()]), "mfa");
        assert_eq!(acr(&["pwd".into(), "hwk".into()]), "mfa");
        assert_eq!(acr(&[]), "pwd");
    }
}

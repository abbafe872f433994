//! PKCE (RFC 7636), S256 only (RFC 9700 §2.1.1: `plain` refused), checked by oxide-auth's
//! `Pkce` extension; the syntax checks of §4.1 and §4.2 are ours.

use std::borrow::Cow;

use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::primitives::grant::Value;

/// Why a challenge was refused (shown as `error_description`).
pub type Refusal = &'static str;

/// Checks a challenge from the authorization request and encodes it for storage.
pub fn challenge(method: Option<&str>, challenge: Option<&str>) -> Result<String, Refusal> {
    let challenge = challenge.ok_or("code_challenge is required (PKCE S256)")?;
    match method {
        Some("S256") => {}
        None | Some("plain") => return Err("code_challenge_method must be S256"),
        Some(_) => return Err("unsupported code_challenge_method"),
    }
    // §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
    if challenge.len() != 43 || !challenge.bytes().all(is_base64url) {
        return Err("code_challenge is malformed");
    }
    Pkce::required()
        .challenge(Some(Cow::Borrowed("S256")), Some(Cow::Borrowed(challenge)))
        .ok()
        .flatten()
        .and_then(|value| value.into_private_value().ok().flatten())
        .ok_or("code_challenge refused")
}

/// Verifies a `code_verifier` against the stored challenge.
pub fn verify(stored: &str, verifier: Option<&str>) -> bool {
    let Some(verifier) = verifier else {
        return false;
    };
    // §4.1: 43 to 128 unreserved characters.
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && Pkce::required()
            .verify(
                Some(Value::private(Some(stored.to_owned()))),
                Some(Cow::Borrowed(verifier)),
            )
            .is_ok()
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Challenge computed independently: base64url(sha256(verifier)) with Python hashlib.
    const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9qSPsbvdxQ2pwJWZqRKwC6BfkkA";
    const CHALLENGE: &str = "r6SiWx-SILsrnCYTwXlpjMTtRW2ONvAUrG98pe5SEdo";

    #[test]
    fn a_known_verifier_and_challenge_pair_verifies() {
        let stored = challenge(Some("S256"), Some(CHALLENGE)).unwrap();
        assert!(verify(&stored, Some(VERIFIER)));
        assert!(!verify(&stored, Some(&VERIFIER.replace('d', "e"))));
        assert!(!verify(&stored, None));
    }

    #[test]
    fn plain_missing_and_malformed_challenges_are_refused() {
        assert!(challenge(Some("plain"), Some(CHALLENGE)).is_err());
        assert!(
            challenge(None, Some(CHALLENGE)).is_err(),
            "a missing method means plain"
        );
        assert!(challenge(Some("S256"), None).is_err());
        assert!(challenge(Some("S256"), Some("short")).is_err());
        assert!(challenge(Some("S512"), Some(CHALLENGE)).is_err());
    }
}

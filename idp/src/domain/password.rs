//! A password as typed: NFKC-normalised (ASVS 6.2.8: verified exactly as typed, never
//! truncated or case-folded), held in a secret that never prints.

use secrecy::{ExposeSecret, SecretString};
use unicode_normalization::UnicodeNormalization;

/// Longest password accepted (ASVS 6.2.9 asks for at least 64; we take 128).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A candidate password.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    /// Normalises to NFKC and checks the length bounds a login form can hold.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if raw.is_empty() {
            return Err(PasswordError::Empty);
        }
        // Bound the work before normalising: NFKC can grow a string, never by more than 18×.
        if raw.len() > MAX_PASSWORD_CHARS * 4 {
            return Err(PasswordError::TooLong);
        }
        let normalised: String = raw.nfkc().collect();
        if normalised.chars().count() > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(SecretString::from(normalised)))
    }

    /// The normalised bytes, for the hash function only.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

/// Why a password was refused before any hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Nothing typed.
    #[error("empty")]
    Empty,
    /// Over the maximum length.
    #[error("too long (at most 128 characters)")]
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_nfkc_normalised_but_never_case_folded() {
        let composed = Password::parse("Caf\u{e9}").unwrap();
        let decomposed = Password::parse("Cafe\u{301}").unwrap();
        assert_eq!(composed.expose_bytes(), decomposed.expose_bytes());
        assert_ne!(
            Password::parse("café").unwrap().expose_bytes(),
            composed.expose_bytes()
        );
    }

    #[test]
    fn passwords_over_128_characters_are_refused_not_truncated() {
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"é".repeat(129)).unwrap_err(),
            PasswordError::TooLong
        );
        assert_eq!(Password::parse("").unwrap_err(), PasswordError::Empty);
    }

    #[test]
    fn a_password_never_prints() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}

/// Any text is a password or refused, never a panic.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_is_a_password_or_refused(raw in "\\PC{0,600}") {
            let _ = Password::parse(&raw);
        }
    }
}

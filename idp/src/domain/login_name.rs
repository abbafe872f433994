//! A name a user signs in with: the `IP…`/`CE…` username or, later, an e-mail alias.

/// A login name as typed, trimmed; compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName(String);

/// Longest login name accepted (an e-mail address is at most 254 characters, RFC 5321).
pub const MAX_LOGIN_NAME_CHARS: usize = 254;

impl LoginName {
    /// Trims and checks length and characters.
    pub fn parse(raw: &str) -> Result<Self, LoginNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(LoginNameError::Empty);
        }
        if name.chars().count() > MAX_LOGIN_NAME_CHARS || !super::has_no_controls(name) {
            return Err(LoginNameError::Malformed);
        }
        Ok(Self(name.to_owned()))
    }

    /// The key names are unique under: Unicode lower case.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl AsRef<str> for LoginName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why a login name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginNameError {
    /// Nothing typed.
    #[error("empty")]
    Empty,
    /// Too long or with control characters.
    #[error("malformed")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_are_trimmed_and_folded() {
        let name = LoginName::parse("  IP12345 ").unwrap();
        assert_eq!(name.as_ref(), "IP12345");
        assert_eq!(name.folded(), "ip12345");
    }

    #[test]
    fn empty_long_and_control_names_are_refused() {
        assert_eq!(LoginName::parse("   "), Err(LoginNameError::Empty));
        assert_eq!(
            LoginName::parse(&"a".repeat(255)),
            Err(LoginNameError::Malformed)
        );
        assert_eq!(
            LoginName::parse("IP1\u{0}2"),
            Err(LoginNameError::Malformed)
        );
    }
}

/// Any text is a login name or refused, never a panic; a parsed name parses to itself.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_parsed_name_parses_to_itself(raw in "\\PC{0,300}") {
            if let Ok(name) = LoginName::parse(&raw) {
                prop_assert_eq!(LoginName::parse(name.as_ref()), Ok(name.clone()));
                prop_assert_eq!(name.folded(), name.folded().to_lowercase());
            }
        }
    }
}

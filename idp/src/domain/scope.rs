//! OAuth 2.0 scope (RFC 6749 §3.3): space-delimited, case-sensitive tokens, order irrelevant.

use std::collections::BTreeSet;

/// A parsed, deduplicated scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope(BTreeSet<String>);

/// Longest scope string accepted.
const MAX_SCOPE_LEN: usize = 1024;

impl Scope {
    /// Parses `scope-token *( SP scope-token )`, tokens of %x21 / %x23-5B / %x5D-7E.
    pub fn parse(raw: &str) -> Result<Self, ScopeError> {
        if raw.len() > MAX_SCOPE_LEN {
            return Err(ScopeError);
        }
        let mut tokens = BTreeSet::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            let valid = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(ScopeError);
            }
            tokens.insert(token.to_owned());
        }
        Ok(Self(tokens))
    }

    /// A scope from trusted strings (the client registry).
    pub fn from_tokens<I: IntoIterator<Item = S>, S: Into<String>>(tokens: I) -> Self {
        Self(tokens.into_iter().map(Into::into).collect())
    }

    /// Whether the scope holds `token`.
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &Scope) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether there is no token.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The tokens of `self` that `allowed` also holds.
    pub fn intersect(&self, allowed: &Scope) -> Scope {
        Scope(self.0.intersection(&allowed.0).cloned().collect())
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
    }
}

/// A scope that breaks RFC 6749 §3.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope")]
pub struct ScopeError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedup_and_print_sorted() {
        let scope = Scope::parse("openid profile  openid email").unwrap();
        assert_eq!(scope.to_string(), "email openid profile");
    }

    #[test]
    fn quotes_backslashes_and_controls_are_refused() {
        for bad in ["open\"id", "a\\b", "a\u{7f}", "é"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Scope::parse(&"a ".repeat(600)).is_err());
    }
}

/// Any text is a scope or refused, never a panic; a scope printed and parsed again is itself.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_printed_scope_parses_to_itself(raw in "[ -~]{0,300}") {
            if let Ok(scope) = Scope::parse(&raw) {
                prop_assert_eq!(Scope::parse(&scope.to_string()), Ok(scope.clone()));
            }
        }

        #[test]
        fn any_text_is_a_scope_or_refused(raw in "\\PC{0,600}") {
            let _ = Scope::parse(&raw);
        }
    }
}

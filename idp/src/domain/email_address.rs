//! An e-mail address (a login name an account adds, a register's or an access request's). lettre's parser checks the syntax (RFC 5322
//! addr-spec); on top of it we keep only what every relay delivers and every user can type back
//! at the login page: at most 254 characters (RFC 5321 §4.5.3.1.3), ASCII, an unquoted local
//! part (dot-atom), and a domain name with a dot (no IP literal, no bare host name).

/// A checked address, as typed (trimmed); [`EmailAddress::folded`] is the key login names are
/// unique under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Longest address accepted, in bytes (RFC 5321 §4.5.3.1.3: a path is 256 octets, brackets
/// included).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why an address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing typed.
    #[error("empty")]
    Empty,
    /// Over 254 characters.
    #[error("too long")]
    TooLong,
    /// Not an address we can use.
    #[error("malformed")]
    Malformed,
}

impl EmailAddress {
    /// Trims, then checks length and syntax.
    pub fn parse(raw: &str) -> Result<Self, AddressError> {
        let address = raw.trim();
        if address.is_empty() {
            return Err(AddressError::Empty);
        }
        if address.len() > MAX_EMAIL_BYTES {
            return Err(AddressError::TooLong);
        }
        if !address.is_ascii() || address.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(AddressError::Malformed);
        }
        let parsed: lettre::Address = address.parse().map_err(|_| AddressError::Malformed)?;
        let (user, domain) = (parsed.user(), parsed.domain());
        if !is_dot_atom(user) || !is_domain_name(domain) {
            return Err(AddressError::Malformed);
        }
        Ok(Self(address.to_owned()))
    }

    /// The key login names are unique under: lower case.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 §3.2.3 dot-atom: atext runs joined by single dots.
fn is_dot_atom(user: &str) -> bool {
    const SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    !user.is_empty()
        && user.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || SPECIALS.contains(&b))
        })
}

/// A host name with at least two labels (RFC 1035 §2.3.1, letters, digits and hyphens).
fn is_domain_name(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_kept_as_typed_and_folded_for_uniqueness() {
        let address = EmailAddress::parse("  Marie.Tremblay+ramq@Clinique-Laval.qc.ca ").unwrap();
        assert_eq!(address.as_ref(), "Marie.Tremblay+ramq@Clinique-Laval.qc.ca");
        assert_eq!(address.folded(), "marie.tremblay+ramq@clinique-laval.qc.ca");
    }

    #[test]
    fn what_cannot_be_a_login_name_is_refused() {
        // (input, expected error, why)
        let long = format!("marie@{}.org", long_domain(245));
        let cases = [
            ("   ", AddressError::Empty, "nothing typed"),
            (long.as_str(), AddressError::TooLong, "over 254 characters"),
            ("marie", AddressError::Malformed, "no @"),
            ("marie@", AddressError::Malformed, "no domain"),
            ("@example.org", AddressError::Malformed, "no local part"),
            (
                "marie@localhost",
                AddressError::Malformed,
                "a bare host name",
            ),
            (
                "marie@[127.0.0.1]",
                AddressError::Malformed,
                "an IP literal",
            ),
            ("marie@127.0.0.1", AddressError::Malformed, "an IP address"),
            (
                "\"marie t\"@example.org",
                AddressError::Malformed,
                "a quoted local part",
            ),
            (
                "marie..t@example.org",
                AddressError::Malformed,
                "two dots in a row",
            ),
            ("marie@exa mple.org", AddressError::Malformed, "a space"),
            (
                "marie@example.org\r\nBcc: x@y.z",
                AddressError::Malformed,
                "a header injection",
            ),
            (
                "marié@example.org",
                AddressError::Malformed,
                "non-ASCII (SMTPUTF8 is not assured)",
            ),
            (
                "marie@-example.org",
                AddressError::Malformed,
                "a label starting with a hyphen",
            ),
            ("a@b@example.org", AddressError::Malformed, "two @"),
        ];
        for (input, expected, why) in cases {
            assert_eq!(
                EmailAddress::parse(input),
                Err(expected),
                "{why}: {input:?}"
            );
        }
        let longest = format!("marie@{}.org", long_domain(244));
        assert_eq!(longest.len(), 254);
        assert!(EmailAddress::parse(&longest).is_ok(), "254 characters fit");
    }

    /// Labels of at most 60 letters joined by dots, `len` characters in all.
    fn long_domain(len: usize) -> String {
        let mut domain = String::new();
        while len - domain.len() > 60 {
            domain.push_str(&"a".repeat(50));
            domain.push('.');
        }
        domain.push_str(&"a".repeat(len - domain.len()));
        domain
    }
}

/// Any text is an address or refused, never a panic; a parsed address parses to itself.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_is_an_address_or_refused(raw in "\\PC{0,300}") {
            let _ = EmailAddress::parse(&raw);
        }

        #[test]
        fn a_parsed_address_parses_to_itself(raw in "[ ]?[a-zA-Z0-9._%+-]{1,30}@[a-z0-9.-]{1,30}[ ]?") {
            if let Ok(address) = EmailAddress::parse(&raw) {
                prop_assert_eq!(EmailAddress::parse(address.as_ref()), Ok(address.clone()));
            }
        }
    }
}

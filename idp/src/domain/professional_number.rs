//! A professional number, as the agency's register and letters print it: 5 to 10 digits.
//! Typed with spaces or dashes (`1-23456`), or as the professional's username (`IP12345`), it
//! is the same number.

/// A checked professional number (digits only).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfessionalNumber(String);

impl ProfessionalNumber {
    /// The number in `raw`: spaces and dashes dropped, an `IP` prefix (any case) dropped when
    /// `username_too`; `None` unless 5 to 10 digits remain.
    pub fn parse(raw: &str, username_too: bool) -> Option<Self> {
        let mut raw = raw.trim();
        if username_too
            && let Some(rest) = raw
                .get(..2)
                .filter(|p| p.eq_ignore_ascii_case("ip"))
                .and_then(|_| raw.get(2..))
        {
            raw = rest;
        }
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        ((5..=10).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()))
            .then_some(Self(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_five_to_ten_digits_however_it_is_typed() {
        let n = |raw, u| ProfessionalNumber::parse(raw, u).map(|n| n.0);
        assert_eq!(n(" 1-23456 ", false).as_deref(), Some("123456"));
        assert_eq!(n("ip12345", true).as_deref(), Some("12345"));
        assert_eq!(
            n("IP12345", false),
            None,
            "a username where a number is asked"
        );
        assert_eq!(n("1234", false), None);
        assert_eq!(n("12345678901", false), None);
        assert_eq!(n("12a45", false), None);
        assert_eq!(n("€1234", true), None, "no panic on a multi-byte start");
    }
}

/// Any text is a number or refused, never a panic; a number parses to itself.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_number_parses_to_itself(raw in "\\PC{0,30}", username_too: bool) {
            if let Some(number) = ProfessionalNumber::parse(&raw, username_too) {
                prop_assert_eq!(ProfessionalNumber::parse(number.as_str(), false), Some(number.clone()));
            }
        }

        #[test]
        fn typed_digits_with_spaces_and_dashes_are_read(digits in "[0-9]{5,10}", sep in "[ -]{0,2}") {
            let typed = format!("IP{}{sep}{}", &digits[..2], &digits[2..]);
            prop_assert_eq!(ProfessionalNumber::parse(&typed, true).map(|n| n.as_str().to_owned()), Some(digits));
        }
    }
}

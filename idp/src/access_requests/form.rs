//! The access-request form's fields, each checked with its own message: what is wrong is
//! tied to its field, and the fields keep what was typed.

use crate::domain::{EmailAddress, ProfessionalNumber};
use crate::store::access_requests::NewRequest;

/// Longest name, establishment or phone.
const TEXT_MAX: usize = 120;
/// Professionals one request may name.
pub const ACTS_FOR_MAX: usize = 20;

/// The form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Typed {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub establishment: String,
    /// Professional numbers, one per line or separated by commas.
    #[serde(default)]
    pub acts_for: String,
    /// Everything else: the services' checkboxes (`service.<client id>`), and the token.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, String>,
}

impl Typed {
    /// The client ids whose checkbox is ticked.
    fn services(&self) -> Vec<String> {
        self.other
            .keys()
            .filter_map(|k| k.strip_prefix("service."))
            .map(str::to_owned)
            .collect()
    }
}

/// What is wrong with the form: `(field, message key)`, in the order of the fields.
pub type Problems = Vec<(&'static str, &'static str)>;

/// Checks `typed` against the services offered; the request, or every problem.
pub fn check(typed: &Typed, offered: &[String], lang: &str) -> Result<NewRequest, Problems> {
    let mut problems = Problems::new();
    let mut text = |field: &'static str, value: &str| {
        let value = value.trim();
        if value.is_empty() {
            problems.push((field, "access-error-required"));
        } else if value.chars().count() > TEXT_MAX || !crate::domain::has_no_controls(value) {
            problems.push((field, "access-error-text"));
        }
        value.to_owned()
    };
    let given_name = text("given_name", &typed.given_name);
    let family_name = text("family_name", &typed.family_name);
    let establishment = text("establishment", &typed.establishment);
    let phone = text("phone", &typed.phone);
    let email = typed.email.trim().to_owned();
    if EmailAddress::parse(&email).is_err() {
        problems.push(("email", "access-error-email"));
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.is_empty()
        && !problems.iter().any(|(f, _)| *f == "phone")
        && (!(10..=15).contains(&digits)
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().poste".contains(c)))
    {
        problems.push(("phone", "access-error-phone"));
    }
    let named: Vec<&str> = typed
        .acts_for
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let acts_for: Vec<String> = named
        .iter()
        .filter_map(|n| ProfessionalNumber::parse(n, true))
        .map(|n| n.as_str().to_owned())
        .collect();
    if named.is_empty() {
        problems.push(("acts_for", "access-error-acts-for-missing"));
    } else if named.len() > ACTS_FOR_MAX || acts_for.len() != named.len() {
        problems.push(("acts_for", "access-error-acts-for"));
    }
    let ticked = typed.services();
    let mut services: Vec<String> = ticked
        .iter()
        .filter(|s| offered.contains(s))
        .cloned()
        .collect();
    services.sort();
    if services.is_empty() || services.len() != ticked.len() {
        problems.push(("services", "access-error-services"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut acts_for = acts_for;
    acts_for.sort();
    acts_for.dedup();
    Ok(NewRequest {
        given_name,
        family_name,
        email,
        phone,
        establishment,
        acts_for,
        services,
        lang: lang.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Typed {
        Typed {
            given_name: "Julie".into(),
            family_name: "Roy".into(),
            email: "julie.roy@clinique.example".into(),
            phone: "418 555-0199".into(),
            establishment: "Clinique du Parc".into(),
            acts_for: "IP12345\n23456, 12345".into(),
            other: [("service.messaging".to_owned(), "1".to_owned())].into(),
        }
    }

    #[test]
    fn a_good_request_is_normalised() {
        let r = check(&good(), &["messaging".into()], "fr-CA").unwrap();
        assert_eq!(r.acts_for, vec!["12345", "23456"]);
        assert_eq!(r.services, vec!["messaging"]);
    }

    #[test]
    fn each_problem_is_tied_to_its_field() {
        let typed = Typed {
            given_name: " ".into(),
            email: "pas une adresse".into(),
            phone: "12".into(),
            acts_for: "abc".into(),
            other: [("service.unknown".to_owned(), "1".to_owned())].into(),
            ..good()
        };
        let fields: Vec<&str> = check(&typed, &["messaging".into()], "fr-CA")
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            vec!["given_name", "email", "phone", "acts_for", "services"]
        );
        let many = Typed {
            acts_for: (0..21)
                .map(|i| format!("{}", 10000 + i))
                .collect::<Vec<_>>()
                .join(","),
            ..good()
        };
        assert!(check(&many, &["messaging".into()], "en").is_err());
        let control = Typed {
            establishment: "Clinique\u{0}".into(),
            ..good()
        };
        assert_eq!(
            check(&control, &["messaging".into()], "en").unwrap_err(),
            vec![("establishment", "access-error-text")]
        );
    }
}

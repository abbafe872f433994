//! The assistance centres — help lines — from configuration (`[[recovery.assistance]]`), and
//! which of them a page or an e-mail shows. The source document lists one line for
//! pharmacists and one for other professionals; staff (`CE…`) reach the online-services line.
//! A page about a known account (an e-mail, the settings) shows the account's own lines; a page
//! shown to someone who only typed a name shows the lines that name's prefix implies (`IP…`,
//! `CE…`), or every line for an e-mail alias: never more than the name itself tells.

use serde::{Deserialize, Serialize};

use crate::config::{AssistanceCentre, UsernamesConfig};
use crate::store::accounts::Account;

/// Whom a page or an e-mail speaks to, as far as help lines go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// The account type, when known.
    #[serde(default)]
    pub account_type: Option<String>,
    /// The profession, when the account is known.
    #[serde(default)]
    pub profession: Option<String>,
}

impl Audience {
    /// A known account: its type and profession.
    pub fn of_account(account: &Account) -> Self {
        Self {
            account_type: Some(account.account_type.clone()),
            profession: account.profession.clone(),
        }
    }

    /// Staff (the clinics' administrative personnel, SELAT users) without an account yet.
    pub fn staff() -> Self {
        Self {
            account_type: Some("staff".to_owned()),
            profession: None,
        }
    }

    /// Someone who typed `name` (folded): the type its prefix tells, nothing for an alias.
    pub fn of_name(usernames: &UsernamesConfig, name: &str) -> Self {
        let account_type = ["professional", "staff"]
            .into_iter()
            .find(|t| usernames.accepts(name, t));
        Self {
            account_type: account_type.map(str::to_owned),
            profession: None,
        }
    }

    /// The lines to show, in configuration order: those of the profession, else those of the
    /// type for every other profession, else every line of the type, else every line.
    pub fn centres<'a>(&self, all: &'a [AssistanceCentre]) -> Vec<&'a AssistanceCentre> {
        let Some(account_type) = &self.account_type else {
            return all.iter().collect();
        };
        let of_type: Vec<&AssistanceCentre> =
            all.iter().filter(|c| c.serves_type(account_type)).collect();
        if of_type.is_empty() {
            return all.iter().collect();
        }
        let Some(profession) = self.profession.as_deref() else {
            return of_type;
        };
        let own: Vec<&AssistanceCentre> = of_type
            .iter()
            .copied()
            .filter(|c| {
                c.professions
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(profession))
            })
            .collect();
        if !own.is_empty() {
            return own;
        }
        let others: Vec<&AssistanceCentre> = of_type
            .iter()
            .copied()
            .filter(|c| c.professions.is_empty())
            .collect();
        if others.is_empty() { of_type } else { others }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centre(name: &str, types: &[&str], professions: &[&str]) -> AssistanceCentre {
        AssistanceCentre {
            name_fr: name.into(),
            name_en: name.into(),
            account_types: types.iter().map(|t| (*t).to_owned()).collect(),
            professions: professions.iter().map(|p| (*p).to_owned()).collect(),
            phones: Vec::new(),
            hours_fr: String::new(),
            hours_en: String::new(),
            note_fr: None,
            note_en: None,
        }
    }

    fn names(centres: &[&AssistanceCentre]) -> Vec<String> {
        centres.iter().map(|c| c.name_fr.clone()).collect()
    }

    #[test]
    fn each_account_sees_its_own_lines_and_a_typed_name_no_more_than_it_tells() {
        let all = [
            centre("pharmaciens", &["professional"], &["pharmacien"]),
            centre("autres", &["professional"], &[]),
            centre("personnel", &["staff"], &[]),
        ];
        let usernames = UsernamesConfig {
            professional_prefix: "IP".into(),
            staff_prefix: "CE".into(),
            max_length: 20,
        };
        let audience = |t: &str, p: Option<&str>| Audience {
            account_type: Some(t.into()),
            profession: p.map(str::to_owned),
        };
        // (audience, lines, why)
        let cases = [
            (
                audience("professional", Some("Pharmacien")),
                vec!["pharmaciens"],
                "a pharmacist",
            ),
            (
                audience("professional", Some("dentiste")),
                vec!["autres"],
                "another profession",
            ),
            (audience("staff", None), vec!["personnel"], "staff"),
            (
                Audience::of_name(&usernames, "ip12345"),
                vec!["pharmaciens", "autres"],
                "a typed IP name: both professional lines",
            ),
            (
                Audience::of_name(&usernames, "ce67890"),
                vec!["personnel"],
                "a typed CE name",
            ),
            (
                Audience::of_name(&usernames, "marie@example.org"),
                vec!["pharmaciens", "autres", "personnel"],
                "an alias tells nothing",
            ),
        ];
        for (audience, expected, why) in cases {
            assert_eq!(names(&audience.centres(&all)), expected, "{why}");
        }
    }
}

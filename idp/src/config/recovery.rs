//! `[recovery]`: « Mot de passe oublié? » and the assistance centres (help lines) it shows.

use serde::Deserialize;

use crate::i18n::Lang;

/// `[recovery]` in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryConfig {
    /// Failed challenges before recovery closes for the account until the help desk reopens it.
    pub max_failed_challenges: i32,
    /// How long the same questions stay asked when nobody answers them right (days: waiting
    /// must not draw easier ones). Answered right, recovery closed, or reopened by the help
    /// desk, the account's next recovery draws new ones.
    pub challenge_ttl_secs: u64,
    /// Whether an e-mailed single-use link comes before the questions.
    pub email_proof: EmailProof,
    /// Life of an e-mailed recovery link.
    pub link_ttl_secs: u64,
    /// The assistance centres (help lines), shown when recovery is not possible online and in
    /// e-mails (`assistance.rs` says which to whom).
    pub assistance: Vec<AssistanceCentre>,
}

/// Policy `recovery.email_proof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailProof {
    /// Questions only.
    Off,
    /// A link first when the account has a verified e-mail.
    WhenAvailable,
    /// A link first, always: an account without a verified e-mail cannot recover alone.
    Required,
}

/// A help line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistanceCentre {
    /// Who it serves, in French.
    pub name_fr: String,
    /// Who it serves, in English.
    pub name_en: String,
    /// The account types it serves (`professional`, `staff`); empty: every type.
    #[serde(default)]
    pub account_types: Vec<String>,
    /// The professions it serves; empty: every profession without a line of its own.
    #[serde(default)]
    pub professions: Vec<String>,
    /// Numbers by region.
    pub phones: Vec<Phone>,
    /// Opening hours, in French.
    pub hours_fr: String,
    /// Opening hours, in English.
    pub hours_en: String,
    /// What to do once through (« faites le 1 pour les services en ligne »), in French.
    #[serde(default)]
    pub note_fr: Option<String>,
    /// The same, in English.
    #[serde(default)]
    pub note_en: Option<String>,
}

/// One number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    /// Region, in French.
    pub region_fr: String,
    /// Region, in English.
    pub region_en: String,
    /// The number as dialled.
    pub number: String,
}

impl AssistanceCentre {
    /// Who it serves.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.name_fr,
            Lang::En => &self.name_en,
        }
    }

    /// Its hours.
    pub fn hours(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.hours_fr,
            Lang::En => &self.hours_en,
        }
    }

    /// What to do once through, if anything.
    pub fn note(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::Fr => self.note_fr.as_deref(),
            Lang::En => self.note_en.as_deref(),
        }
    }

    /// One line of text: name, numbers, hours (e-mails).
    pub fn line(&self, lang: Lang) -> String {
        let phones: Vec<String> = self
            .phones
            .iter()
            .map(|p| format!("{} ({})", p.number, p.region(lang)))
            .collect();
        // French typography puts a space before the colon; English does not.
        let colon = match lang {
            Lang::Fr => " :",
            Lang::En => ":",
        };
        let mut line = format!(
            "{}{colon} {} — {}",
            self.name(lang),
            phones.join(", "),
            self.hours(lang)
        );
        if let Some(note) = self.note(lang) {
            line = format!("{line}. {note}");
        }
        line
    }

    /// Whether it serves an account type.
    pub fn serves_type(&self, account_type: &str) -> bool {
        self.account_types.is_empty() || self.account_types.iter().any(|t| t == account_type)
    }
}

impl Phone {
    /// The region.
    pub fn region(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.region_fr,
            Lang::En => &self.region_en,
        }
    }
}

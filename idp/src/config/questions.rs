//! `[secret_questions]`: the catalogue and the rules for answers.

use serde::Deserialize;

use crate::i18n::Lang;

/// Longest answer accepted, in characters after normalisation.
pub const MAX_ANSWER_CHARS: usize = 80;

/// `[secret_questions]` in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionsConfig {
    /// Questions each user answers (the seed: 8).
    pub required: usize,
    /// Questions a recovery asks (the seed: 3).
    pub asked: usize,
    /// Shortest answer accepted, in characters after normalisation.
    pub min_answer_chars: usize,
    /// The questions a user picks from.
    pub catalogue: Vec<Question>,
}

/// One question of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id, bound into each answer's hash.
    pub id: String,
    /// French text.
    pub fr: String,
    /// English text.
    pub en: String,
    /// French answer-format hint (JJ/MM/AAAA).
    #[serde(default)]
    pub hint_fr: Option<String>,
    /// English answer-format hint.
    #[serde(default)]
    pub hint_en: Option<String>,
}

impl Question {
    /// The question in a language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fr => &self.fr,
            Lang::En => &self.en,
        }
    }

    /// The answer-format hint in a language.
    pub fn hint(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::Fr => self.hint_fr.as_deref(),
            Lang::En => self.hint_en.as_deref(),
        }
    }
}

/// Longest question id (ids are part of each answer's hash input).
const MAX_ID_CHARS: usize = 40;

impl QuestionsConfig {
    /// A question by id.
    pub fn find(&self, id: &str) -> Option<&Question> {
        self.catalogue.iter().find(|q| q.id == id)
    }

    /// Checked at start-up.
    pub fn check(&self) -> Result<(), String> {
        if self.asked == 0 || self.asked > self.required {
            return Err("asked must be between 1 and required".into());
        }
        if self.catalogue.len() < self.required {
            return Err("the catalogue needs at least `required` questions".into());
        }
        if self.min_answer_chars == 0 || self.min_answer_chars > MAX_ANSWER_CHARS {
            return Err(format!(
                "min_answer_chars must be between 1 and {}",
                MAX_ANSWER_CHARS
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for q in &self.catalogue {
            let well_formed = !q.id.is_empty()
                && q.id.len() <= MAX_ID_CHARS
                && q.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !well_formed {
                return Err(format!("question id `{}`: use a-z, 0-9 and -", q.id));
            }
            if !seen.insert(q.id.as_str()) {
                return Err(format!("question id `{}` appears twice", q.id));
            }
            if q.fr.trim().is_empty() || q.en.trim().is_empty() {
                return Err(format!(
                    "question `{}` needs a French and an English text",
                    q.id
                ));
            }
        }
        Ok(())
    }
}

//! How the caller's identity was established, and why the agent acts: every console action
//! needs at least `helpdesk.min_checks` facts of the configured checklist ticked and one of the
//! configured reason codes (labels in the locales). One reading of the form and one rendering
//! (`helpdesk_identity.html`) serve every action form.

use std::collections::HashMap;

use super::label;
use crate::config::HelpdeskConfig;
use crate::i18n::Lang;

/// What the agent typed, given back with its problems.
#[derive(Debug, Default, Clone)]
pub(super) struct Typed {
    pub checks: Vec<String>,
    pub reason: String,
    pub action: String,
}

impl Typed {
    /// Reads the checklist's boxes (`check.<id>`, known ids only) from the rest of a form.
    pub fn read(
        rules: &HelpdeskConfig,
        other: &HashMap<String, String>,
        reason: String,
        action: String,
    ) -> Self {
        let mut checks: Vec<String> = other
            .keys()
            .filter_map(|k| k.strip_prefix("check."))
            .filter(|c| rules.identity_checks.iter().any(|id| id == c))
            .map(str::to_owned)
            .collect();
        checks.sort();
        Self {
            checks,
            reason,
            action,
        }
    }

    /// What is missing: (field, message key).
    pub fn problems(&self, rules: &HelpdeskConfig) -> Vec<(&'static str, &'static str)> {
        let mut problems = Vec::new();
        if self.checks.len() < rules.min_checks {
            problems.push(("checks", "helpdesk-error-checks"));
        }
        if !rules.reasons.contains(&self.reason) {
            problems.push(("reason", "helpdesk-error-reason"));
        }
        problems
    }

    /// What the audit records of it.
    pub fn detail(&self, agent: &crate::store::accounts::Account) -> serde_json::Value {
        serde_json::json!({
            "by": "help_desk",
            "agent": agent.id.to_string(),
            "agent_username": agent.username,
            "action": self.action,
            "reason": self.reason,
            "checks": self.checks,
        })
    }
}

/// The form's checklist and reasons, as the include shows them.
pub(super) struct Form {
    /// (id, label, ticked).
    pub checks: Vec<(String, String, bool)>,
    pub min_checks: usize,
    /// (id, label, chosen).
    pub reasons: Vec<(String, String, bool)>,
}

impl Form {
    pub fn of(lang: Lang, rules: &HelpdeskConfig, typed: &Typed) -> Self {
        let checks = rules
            .identity_checks
            .iter()
            .map(|id| {
                let ticked = typed.checks.contains(id);
                (id.clone(), label(lang, "helpdesk-check", id), ticked)
            })
            .collect();
        let reasons = rules
            .reasons
            .iter()
            .map(|id| {
                let chosen = typed.reason == *id;
                (id.clone(), label(lang, "helpdesk-reason", id), chosen)
            })
            .collect();
        Self {
            checks,
            min_checks: rules.min_checks,
            reasons,
        }
    }
}

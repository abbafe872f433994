//! `[helpdesk]`: the help-desk console's rules — what an agent must record about how the
//! caller's identity was established and the reasons an action may be taken for; and how long
//! a session may sit idle at any agency console.

use serde::Deserialize;

/// The help-desk console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpdeskConfig {
    /// The facts an agent may tick as verified before an action (ids; each shown with the
    /// message `helpdesk-check-<id>`); at least `min_checks` of them are required.
    pub identity_checks: Vec<String>,
    /// How many of them each action needs.
    pub min_checks: usize,
    /// The reason codes an action is taken for (each shown as `helpdesk-reason-<id>`).
    pub reasons: Vec<String>,
}

/// `[consoles]`: every agency console (help desk, security).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsolesConfig {
    /// Idle time after which a console page ends the session (shorter than
    /// `session.idle_secs`).
    pub idle_secs: u64,
}

impl HelpdeskConfig {
    /// Checked at start-up.
    pub fn check(&self) -> Result<(), String> {
        let id = |s: &String| {
            !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        };
        if self.identity_checks.is_empty() || !self.identity_checks.iter().all(id) {
            return Err("identity_checks: one or more ids (a-z and _)".into());
        }
        if self.min_checks == 0 || self.min_checks > self.identity_checks.len() {
            return Err("min_checks: between 1 and the number of identity_checks".into());
        }
        if self.reasons.is_empty() || !self.reasons.iter().all(id) {
            return Err("reasons: one or more ids (a-z and _)".into());
        }
        Ok(())
    }
}

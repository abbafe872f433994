//! `[password]`, `[lockout]`, `[rate_limit]`, `[usernames]` and `[password_policy]`: the
//! rules accounts and their passwords live under.

use serde::Deserialize;

/// Argon2id parameters (OWASP floor by default: 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Per-account failure counter and escalating lock.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutConfig {
    /// Failures before a temporary lock.
    pub max_failures: u32,
    /// Length of the first temporary lock; each next one doubles.
    pub lock_secs: u64,
    /// Temporary locks before the account waits for the help desk.
    pub max_temporary_locks: u32,
    /// How long past locks count toward escalation.
    pub escalation_window_secs: u64,
}

/// Enrolment by NIP (issue 10).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentConfig {
    /// Days a NIP stays valid after it is issued.
    pub nip_valid_days: u32,
    /// Wrong tries after which a NIP is dead (the help desk issues another).
    pub nip_max_tries: u32,
    /// Registration also asks for the date of birth, checked against the register (where the
    /// register has none, the NIP alone decides). A wrong date counts as a wrong NIP.
    #[serde(default)]
    pub ask_birth_date: bool,
}

/// Per-IP shaping of the login and token endpoints.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second per IP (per process).
    pub per_ip_per_second: u32,
    /// Burst per IP (per process).
    pub per_ip_burst: u32,
    /// Password checks per IP per minute across every node (Redis).
    pub password_checks_per_ip_per_minute: u32,
}

/// `[usernames]` in configuration: the shape of the usernames the agency gives out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernamesConfig {
    /// Prefix of professionals' usernames (`IP`).
    pub professional_prefix: String,
    /// Prefix of staff usernames (`CE`).
    pub staff_prefix: String,
    /// Longest username, prefix included.
    pub max_length: usize,
}

impl UsernamesConfig {
    /// Checked at start-up: distinct, non-empty ASCII letter prefixes that fit.
    pub fn check(&self) -> Result<(), String> {
        let letters = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphabetic());
        if !letters(&self.professional_prefix) || !letters(&self.staff_prefix) {
            return Err("prefixes must be ASCII letters".into());
        }
        if self
            .professional_prefix
            .eq_ignore_ascii_case(&self.staff_prefix)
        {
            return Err("the two prefixes must differ".into());
        }
        let longest = self.professional_prefix.len().max(self.staff_prefix.len());
        if self.max_length <= longest || self.max_length > 64 {
            return Err("max_length must leave room after the prefix and be at most 64".into());
        }
        Ok(())
    }

    /// Whether `name` is a well-formed username for `account_type`: the prefix (any case),
    /// then ASCII letters and digits, at most `max_length` in all.
    pub fn accepts(&self, name: &str, account_type: &str) -> bool {
        let prefix = self.prefix(account_type);
        name.len() > prefix.len()
            && name.len() <= self.max_length
            && name.is_char_boundary(prefix.len())
            && name[..prefix.len()].eq_ignore_ascii_case(prefix)
            && name[prefix.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
    }

    /// The prefix of an account type's usernames.
    pub fn prefix(&self, account_type: &str) -> &str {
        if account_type == "staff" {
            &self.staff_prefix
        } else {
            &self.professional_prefix
        }
    }
}

/// `[password_policy]` in configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicyConfig {
    /// Shortest password accepted, in characters after NFKC.
    pub min_length: usize,
    /// Words naming the agency that no password may contain.
    pub agency_names: Vec<String>,
    /// Lowest zxcvbn score (0–4) accepted: refuses common and easily guessed passwords.
    pub min_strength: u8,
    /// A new password may not be one of the last `history` passwords (0: no history).
    pub history: u32,
    /// Days a password lasts before it must be changed at the next login (0: never expires).
    /// The seed's mechanism; ASVS 6.2.10 advises against it (docs/SECURITY.md).
    pub max_age_days: u32,
    /// Hours a temporary password set by the help desk stays usable.
    pub temporary_ttl_hours: u32,
}

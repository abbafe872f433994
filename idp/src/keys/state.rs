//! Key states follow from the row timestamps and the clock alone, so every node reaches the
//! same answer without coordinating:
//!
//! - `next`: `now < activate_at`; already in the JWKS so relying parties cache it early.
//! - `active`: the newest key of its alg with `activate_at <= now`, not retired; it signs.
//! - `retiring`: activated but superseded; still in the JWKS until `retire_at`.
//! - `retired`: `retire_at <= now`; out of the JWKS, verifies nothing.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::SigningAlg;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Published and signing.
    Active,
    /// Published, superseded, kept so tokens it signed still verify.
    Retiring,
    /// Gone from the JWKS.
    Retired,
}

impl KeyState {
    /// Whether the key belongs in the JWKS and may verify tokens.
    pub fn is_published(self) -> bool {
        !matches!(self, KeyState::Retired)
    }

    /// The lower-case name `idp keys list` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
        }
    }
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The timestamps of one key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMeta {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// When the row was written (published from then on).
    pub created_at: DateTime<Utc>,
    /// When it starts signing.
    pub activate_at: DateTime<Utc>,
    /// When it leaves the JWKS, once a successor is scheduled.
    pub retire_at: Option<DateTime<Utc>>,
}

impl KeyMeta {
    /// Whether `retire_at` has passed.
    pub fn is_retired(&self, now: DateTime<Utc>) -> bool {
        self.retire_at.is_some_and(|at| at <= now)
    }

    /// Whether the key may sign at `now` if nothing newer may (activated, not retired).
    fn may_sign(&self, now: DateTime<Utc>) -> bool {
        self.activate_at <= now && !self.is_retired(now)
    }

    /// Newest first: later `activate_at`, then later `created_at`, then kid, so that two
    /// keys activating at the same instant still give every node the same answer.
    fn newer_than(&self, other: &KeyMeta) -> bool {
        (self.activate_at, self.created_at, &self.kid)
            > (other.activate_at, other.created_at, &other.kid)
    }
}

impl AsRef<KeyMeta> for KeyMeta {
    fn as_ref(&self) -> &KeyMeta {
        self
    }
}

/// The index in `keys` of the active key for `alg` at `now`, if any.
pub fn active_index<T: AsRef<KeyMeta>>(
    keys: &[T],
    alg: SigningAlg,
    now: DateTime<Utc>,
) -> Option<usize> {
    let mut best: Option<(usize, &KeyMeta)> = None;
    for (i, key) in keys.iter().enumerate() {
        let key = key.as_ref();
        if key.alg != alg || !key.may_sign(now) {
            continue;
        }
        if best.is_none_or(|(_, b)| key.newer_than(b)) {
            best = Some((i, key));
        }
    }
    best.map(|(i, _)| i)
}

/// The state of each key in `keys` at `now`, in the same order.
pub fn key_states<T: AsRef<KeyMeta>>(keys: &[T], now: DateTime<Utc>) -> Vec<KeyState> {
    let active: Vec<Option<usize>> = SigningAlg::ALL
        .iter()
        .map(|alg| active_index(keys, *alg, now))
        .collect();
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let key = key.as_ref();
            if key.is_retired(now) {
                KeyState::Retired
            } else if now < key.activate_at {
                KeyState::Next
            } else if active.contains(&Some(i)) {
                KeyState::Active
            } else {
                KeyState::Retiring
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn meta(kid: &str, alg: SigningAlg, activate: i64, retire: Option<i64>) -> KeyMeta {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        KeyMeta {
            kid: kid.into(),
            alg,
            created_at: t0 + TimeDelta::seconds(activate.min(0)),
            activate_at: t0 + TimeDelta::seconds(activate),
            retire_at: retire.map(|r| t0 + TimeDelta::seconds(r)),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(secs)
    }

    use KeyState::*;
    use SigningAlg::*;

    #[test]
    fn rotation_walks_next_active_retiring_retired() {
        // old signed from 0; rotation at 100 with pre-publication 50 and longest token 30.
        let keys = [
            meta("old", Rs256, 0, Some(180)),
            meta("new", Rs256, 150, None),
        ];
        assert_eq!(key_states(&keys, at(100)), [Active, Next]);
        assert_eq!(key_states(&keys, at(149)), [Active, Next]);
        assert_eq!(key_states(&keys, at(150)), [Retiring, Active]);
        assert_eq!(key_states(&keys, at(179)), [Retiring, Active]);
        assert_eq!(key_states(&keys, at(180)), [Retired, Active]);
        assert_eq!(active_index(&keys, Rs256, at(149)), Some(0));
        assert_eq!(active_index(&keys, Rs256, at(150)), Some(1));
        assert_eq!(active_index(&keys, Es256, at(150)), None);
    }

    #[test]
    fn algs_are_independent() {
        let keys = [
            meta("r", Rs256, 0, None),
            meta("e", Es256, 10, None),
            meta("d", EdDsa, 0, Some(5)),
        ];
        assert_eq!(key_states(&keys, at(6)), [Active, Next, Retired]);
        assert_eq!(key_states(&keys, at(10)), [Active, Active, Retired]);
    }

    #[test]
    fn newest_wins_with_deterministic_ties() {
        // Two nodes seeded at once: same activate_at; the kid breaks the tie.
        let keys = [
            meta("b", Es256, 0, None),
            meta("a", Es256, 0, None),
            meta("c", Es256, -5, None),
        ];
        assert_eq!(key_states(&keys, at(1)), [Active, Retiring, Retiring]);
        // A retired newest key hands signing back to the newest unretired one.
        let keys = [meta("x", EdDsa, 0, None), meta("y", EdDsa, 5, Some(8))];
        assert_eq!(key_states(&keys, at(6)), [Retiring, Active]);
        assert_eq!(key_states(&keys, at(8)), [Active, Retired]);
    }

    #[test]
    fn display_names() {
        let names: Vec<String> = [Next, Active, Retiring, Retired]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["next", "active", "retiring", "retired"]);
        assert!(!Retired.is_published() && Next.is_published());
    }
}

//! The values of the conversation model: thread states, sides, and the keyset cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a thread stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadState {
    /// Opened, nobody answered yet.
    Open,
    /// The agency answered; the professional's turn.
    AwaitingProfessional,
    /// The professional wrote; the agency's turn.
    AwaitingAgency,
    /// Closed by an agent (a reply within the reopening period reopens it).
    Closed,
}

impl ThreadState {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadState::Open => "open",
            ThreadState::AwaitingProfessional => "awaiting_professional",
            ThreadState::AwaitingAgency => "awaiting_agency",
            ThreadState::Closed => "closed",
        }
    }

    /// A state by name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            ThreadState::Open,
            ThreadState::AwaitingProfessional,
            ThreadState::AwaitingAgency,
            ThreadState::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// The state after a message from `side`.
    pub fn after_message_from(side: Side) -> Self {
        match side {
            Side::Professional => ThreadState::AwaitingAgency,
            Side::Agency => ThreadState::AwaitingProfessional,
        }
    }
}

/// The two sides of every conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A professional, or staff acting for them.
    Professional,
    /// An agent of the agency.
    Agency,
}

impl Side {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Professional => "professional",
            Side::Agency => "agency",
        }
    }

    /// A side by name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "professional" => Some(Side::Professional),
            "agency" => Some(Side::Agency),
            _ => None,
        }
    }
}

/// A position in a list ordered by `(time, id)`: the last row of the page before. Opaque to
/// clients (base64url of `microseconds.uuid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The row's time.
    pub at: DateTime<Utc>,
    /// The row's id (ties).
    pub id: Uuid,
}

impl Cursor {
    /// The opaque form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}.{}",
            self.at.timestamp_micros(),
            self.id.simple()
        ))
    }

    /// Reads an opaque cursor; `None` for anything this service did not make.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() > 96 {
            return None;
        }
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (micros, id) = raw.split_once('.')?;
        let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        // Only times this service writes (and Postgres stores): 1970 to 9999.
        if !(0..=253_402_300_799).contains(&at.timestamp()) {
            return None;
        }
        Some(Self {
            at,
            id: Uuid::try_parse(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_a_reply_passes_the_turn() {
        for state in ["open", "awaiting_professional", "awaiting_agency", "closed"] {
            assert_eq!(
                ThreadState::parse(state).map(ThreadState::as_str),
                Some(state)
            );
        }
        assert_eq!(ThreadState::parse("Closed"), None);
        assert_eq!(
            ThreadState::after_message_from(Side::Agency),
            ThreadState::AwaitingProfessional
        );
        assert_eq!(
            ThreadState::after_message_from(Side::Professional),
            ThreadState::AwaitingAgency
        );
    }

    #[test]
    fn a_cursor_round_trips_and_anything_else_is_refused() {
        let cursor = Cursor {
            at: Utc::now(),
            id: Uuid::now_v7(),
        };
        let decoded = Cursor::decode(&cursor.encode()).unwrap();
        assert_eq!(decoded.id, cursor.id);
        assert_eq!(decoded.at.timestamp_micros(), cursor.at.timestamp_micros());
        let far =
            URL_SAFE_NO_PAD.encode(format!("-8000000000000000000.{}", Uuid::now_v7().simple()));
        for hostile in [
            "",
            "%%%",
            "bm9wZQ",
            &"A".repeat(97),
            "MTIzLm5vdC1hLXV1aWQ",
            &far,
        ] {
            assert_eq!(Cursor::decode(hostile), None, "{hostile:?}");
        }
    }
}

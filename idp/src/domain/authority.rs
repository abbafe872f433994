//! What an account may do at the relying parties: its agency roles and the professionals a
//! staff account acts for. Both travel in tokens (`roles`, `acts_for`); docs/CLAIMS.md
//! describes them for relying parties.

use serde::{Deserialize, Serialize};

/// An agency role (`account_roles_role_check`, migration V8, holds the same list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Works the secure-messaging queues of their teams.
    MessagingAgent,
    /// A messaging agent who may also reassign threads within their teams.
    MessagingSupervisor,
    /// The assistance centre: unlocks, temporary passwords, NIPs re-sent (issue 10).
    HelpdeskAgent,
    /// The security team: relying parties, signing keys, the audit trail (issue 10).
    SecurityOfficer,
    /// Grants and revokes the agency roles (issue 10).
    Administrator,
}

impl Role {
    /// Every role, in the order help texts list them.
    pub const ALL: [Role; 5] = [
        Role::MessagingAgent,
        Role::MessagingSupervisor,
        Role::HelpdeskAgent,
        Role::SecurityOfficer,
        Role::Administrator,
    ];

    /// The role's name in the claim and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::MessagingAgent => "messaging-agent",
            Role::MessagingSupervisor => "messaging-supervisor",
            Role::HelpdeskAgent => "helpdesk-agent",
            Role::SecurityOfficer => "security-officer",
            Role::Administrator => "administrator",
        }
    }

    /// A role by its name; `None` for a name no service knows.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the `acts_for` claim: a professional the signed-in staff account acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActsFor {
    /// The professional's `sub` (their account's opaque id).
    pub sub: String,
    /// Their `IP…` username.
    pub username: String,
    /// Their display name (« au nom de … »).
    pub name: String,
}

/// An active delegation as an account carries it: whom, and at which service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    /// The professional.
    #[serde(flatten)]
    pub acts_for: ActsFor,
    /// The client id the delegation is limited to; `None` for every service.
    pub service: Option<String>,
}

/// The `acts_for` claim of a token issued to `client_id`: the delegations for that service or
/// for every service, each professional once.
pub fn acts_for_at(delegations: &[Delegation], client_id: &str) -> Vec<ActsFor> {
    let mut claim: Vec<ActsFor> = Vec::new();
    for delegation in delegations {
        let applies = delegation
            .service
            .as_deref()
            .is_none_or(|service| service == client_id);
        if applies && !claim.iter().any(|a| a.sub == delegation.acts_for.sub) {
            claim.push(delegation.acts_for.clone());
        }
    }
    claim
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_unknown_names_are_refused() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for name in ["", "admin", "Messaging-Agent", "messaging-agent "] {
            assert_eq!(Role::parse(name), None, "{name:?}");
        }
    }

    fn delegation(sub: &str, service: Option<&str>) -> Delegation {
        Delegation {
            acts_for: ActsFor {
                sub: sub.into(),
                username: format!("IP{sub}"),
                name: "Marie Tremblay".into(),
            },
            service: service.map(str::to_owned),
        }
    }

    #[test]
    fn a_token_carries_the_delegations_for_its_service_and_every_service_once() {
        let all = [
            delegation("1", None),
            delegation("2", Some("messaging")),
            delegation("3", Some("billing")),
            delegation("1", Some("messaging")),
        ];
        let subs = |client: &str| -> Vec<String> {
            acts_for_at(&all, client)
                .into_iter()
                .map(|a| a.sub)
                .collect()
        };
        assert_eq!(subs("messaging"), ["1", "2"]);
        assert_eq!(subs("billing"), ["1", "3"]);
        assert_eq!(subs("portal"), ["1"]);
        assert!(acts_for_at(&[], "messaging").is_empty());
    }
}

//! The person behind a verified token: their claims, their profile from the idp's userinfo
//! (cached by `sub`, and remembered in `people` so agents can address them and notices can
//! reach them), and the sides they may act on here.

use std::time::Duration;

use serde::Deserialize;

use super::bearer::{AccessClaims, ActsFor};
use super::idp::{Idp, IdpError};
use crate::store::people::{self, Person};
use crate::store::{GenericClient, StoreError};

/// The agency role that lets a person work messaging queues (with a row in `agents`).
pub const AGENT_ROLE: &str = "messaging-agent";

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Their `sub`.
    pub sub: String,
    /// Their profile.
    pub person: Person,
    /// Agency roles from the token.
    pub roles: Vec<String>,
    /// The professionals they act for here (staff), from the token.
    pub acts_for: Vec<ActsFor>,
    /// Where the request came from (the access journal).
    pub origin: Origin,
    /// When the token expires (a stream of events ends then: a new token carries the
    /// delegations as they are now).
    pub token_expires: i64,
}

/// Where a request came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The client address (`service_kit::client_ip`).
    pub ip: Option<std::net::IpAddr>,
    /// Its `User-Agent`, trimmed.
    pub user_agent: Option<String>,
}

impl Caller {
    /// Whether the token carries the agent role (the `agents` table must agree).
    pub fn has_agent_role(&self) -> bool {
        self.roles.iter().any(|r| r == AGENT_ROLE)
    }

    /// The professionals whose threads this person sees on the professional side: themselves
    /// and those they act for.
    pub fn professional_subs(&self) -> Vec<String> {
        std::iter::once(self.sub.clone())
            .chain(self.acts_for.iter().map(|a| a.sub.clone()))
            .collect()
    }

    /// The delegation under which this person writes for `professional`, if any (`None` when
    /// it is their own thread).
    pub fn acting_for(&self, professional: &str) -> Option<&ActsFor> {
        self.acts_for.iter().find(|a| a.sub == professional)
    }
}

/// Userinfo's answer, as far as this service reads it.
#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

/// Profiles by `sub`, so a busy caller costs one userinfo call per few minutes.
#[derive(Debug, Clone)]
pub struct Profiles {
    cache: moka::sync::Cache<String, Person>,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(300))
                .build(),
        }
    }
}

/// Why the caller could not be established.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// The idp failed or refused.
    #[error(transparent)]
    Idp(#[from] IdpError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Profiles {
    /// The caller of a verified token: their profile from the cache, else from userinfo
    /// (recorded in `people`); the professionals they act for are recorded too.
    pub async fn caller(
        &self,
        idp: &Idp,
        db: &impl GenericClient,
        claims: AccessClaims,
        token: &str,
        origin: Origin,
    ) -> Result<Caller, CallerError> {
        let person = match self.cache.get(&claims.sub) {
            Some(person) => person,
            None => {
                let url = idp.endpoints().await?.userinfo_endpoint.clone();
                let info: UserInfo = idp.get_json(&url, Some(token)).await?;
                if info.sub != claims.sub {
                    return Err(
                        IdpError::Unusable("userinfo answered for another sub".into()).into(),
                    );
                }
                // Without `profile` userinfo names nobody: what messaging knows is kept.
                let named = info.username.or(info.preferred_username);
                let known = named.is_some();
                let username = named.unwrap_or_else(|| claims.sub.clone());
                let person = Person {
                    sub: claims.sub.clone(),
                    name: info.name.unwrap_or_else(|| username.clone()),
                    username,
                    email: info.email,
                    locale: info.locale.unwrap_or_else(|| "fr-CA".into()),
                };
                if known {
                    people::upsert(db, &person, true).await?;
                }
                for professional in &claims.acts_for {
                    let named = Person {
                        sub: professional.sub.clone(),
                        username: professional.username.clone(),
                        name: professional.name.clone(),
                        email: None,
                        locale: "fr-CA".into(),
                    };
                    people::upsert(db, &named, false).await?;
                }
                self.cache.insert(claims.sub.clone(), person.clone());
                person
            }
        };
        Ok(Caller {
            sub: claims.sub,
            person,
            roles: claims.roles,
            acts_for: claims.acts_for,
            origin,
            token_expires: claims.exp,
        })
    }
}

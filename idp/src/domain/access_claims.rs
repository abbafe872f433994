//! The claims of our JWT access tokens: written by `oidc::issue`, read back by
//! `oidc::verify` and remembered by `keys::VerifiedTokens` once a token verified.

use serde::{Deserialize, Serialize};

use super::ActsFor;

/// The claims of our access tokens (RFC 9068 §2.2), plus `sid` and `gid` (the grant they come
/// from, so revoking a grant revokes its access tokens at our endpoints), and the user's
/// `roles` and `acts_for` (RFC 9068 §2.2.3.1 lets an access token carry roles).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user's opaque id, or the client for `client_credentials`.
    pub sub: String,
    /// The audience: the client (its own API) unless a resource is configured.
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// Unique id.
    pub jti: String,
    /// Granted scope.
    pub scope: String,
    /// When the user authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// How the user authenticated (RFC 8176; RFC 9068 §2.2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// The level that reaches (`domain::authentication::acr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// SSO session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Grant (refresh family) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// The user's agency roles (`domain::Role` names), read when the token was issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The professionals a staff user acts for at this token's service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acts_for: Vec<ActsFor>,
}

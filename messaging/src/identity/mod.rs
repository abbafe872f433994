//! Who is calling: the idp's access tokens (RFC 9068) verified against its key set, the
//! person's profile from its userinfo endpoint, and what they may act as here (professional,
//! staff acting for professionals, agent of teams). Everything messaging knows about a person
//! comes from the idp's tokens and endpoints, never its tables.

pub mod bearer;
pub mod caller;
pub mod idp;
pub mod jwks;
pub mod logout_token;
pub mod signin;

pub use bearer::{AccessClaims, ActsFor, Rejected};
pub use caller::Caller;
pub use idp::Idp;

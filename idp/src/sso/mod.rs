//! Single sign-on, below every feature that signs a user in or needs them signed in: the SSO
//! session (`session.rs`), the `SignedIn` extractor every page for signed-in users takes
//! (`signed_in.rs`), and the hand-off of a parked authorization request between the
//! authorization endpoint and the sign-in pages (`handoff.rs`). `oidc`, `login`,
//! `credentials`, `account` and `questions` all take them from here.

pub mod handoff;
pub mod session;
mod signed_in;

pub use signed_in::{NotSignedIn, SignedIn};

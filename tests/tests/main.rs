//! The integration tests, in one binary with a module per area (as zero-to-production's
//! `tests/api/main.rs` does): the idp and every dependency are linked once instead of once per
//! file. Each test starts its own deployment (a fresh Postgres schema, a Redis key prefix, an
//! SMTP sink, port 0), so the tests run side by side on the harness's threads; none changes
//! the process's environment or working directory.
//!
//! Run one area with `scripts/test login_page::` or one test by a part of its name.

mod access_requests;
mod accessibility;
mod account_settings;
mod browser;
mod browser_credentials;
mod browser_recovery;
mod browser_settings;
mod cli;
mod configuration;
mod credential_change;
mod delegations;
mod demo_relying_party;
mod enrolment;
mod flows;
mod helpdesk;
mod hostile_oauth;
mod ip_window;
mod key_rotation;
mod lockout;
mod login_page;
mod messaging_api;
mod messaging_attachments;
mod messaging_drafts;
mod messaging_pages;
mod multi_node;
mod notifications;
mod passkeys;
mod pg_failover;
mod recovery;
mod redis_data_loss;
mod redis_down;
mod redis_ha;
mod roles_and_delegations;
mod router;
mod second_factor;
mod security_console;
mod session_end;
mod sign_in;
mod username_reminder;

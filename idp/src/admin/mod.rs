//! Registering relying parties and accounts: what the security team does from the command line
//! (and the seeding of dev and tests) until the admin console exists.

pub mod clients;
pub mod temp_password;
pub mod users;

//! `messaging dev-setup`: what `scripts/dev` needs to show the service — migrations, the
//! master key and first key-encryption key, a team for every category of the configuration,
//! and the idp's demo staff member (`CE67890`, granted `messaging-agent` and
//! `messaging-supervisor` by `idp dev-setup`) as the supervisor of each. Idempotent.

#![allow(clippy::print_stdout)] // A command line prints its results.

use crate::config::Config;
use crate::crypto::{Keyring, MasterKey};
use crate::store::{self, agents, teams};

/// The idp's demo staff member.
pub const DEMO_AGENT: &str = "CE67890";

/// Readable names of the dev catalogue's teams; other codes get their code as name.
fn team_names(code: &str) -> (String, String) {
    let (fr, en) = match code {
        "facturation" => ("Facturation", "Billing"),
        "inscription" => ("Inscription de la clientèle", "Patient enrolment"),
        "selat" => ("Aides techniques SELAT", "SELAT technical aids"),
        "acces" => ("Accès aux services en ligne", "Online services access"),
        other => (other, other),
    };
    (fr.to_owned(), en.to_owned())
}

/// Runs the set-up.
pub async fn setup(config: &Config) -> anyhow::Result<()> {
    service_kit::tls::ensure_secret_file(&config.keys.master_key_file)?;
    let pool = store::pool(&config.database)?;
    store::migrate(&pool, &config.database).await?;
    Keyring::new(MasterKey::load(&config.keys.master_key_file)?)
        .ensure_active(&pool)
        .await?;
    let db = pool.get().await?;
    let mut codes: Vec<&str> = config.categories.iter().map(|c| c.team.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let (name_fr, name_en) = team_names(code);
        let team = teams::Team {
            code: code.to_owned(),
            name_fr,
            name_en,
        };
        teams::upsert(&db, &team).await?;
        let member = agents::Membership {
            username: DEMO_AGENT.to_owned(),
            team: code.to_owned(),
            supervisor: true,
        };
        agents::upsert(&db, &member).await?;
    }
    println!();
    println!(
        "  Secure messaging    {} (demo agent {DEMO_AGENT}, supervisor of every team)",
        config.server.public_url
    );
    println!(
        "  Messaging API       {}api/v1/openapi.json",
        config.server.public_url
    );
    Ok(())
}

//! `messaging dev-setup`: what `scripts/dev` needs to show the service — migrations, the
//! master key and first key-encryption key, a team for every category of the configuration,
//! the idp's demo staff member (`CE67890`, granted `messaging-agent` and
//! `messaging-supervisor` by `idp dev-setup`) as the supervisor of each, and two demo
//! conversations with the demo professional (when `idp dev-setup` has written who the demo
//! people are, and that professional has none yet). Idempotent.

#![allow(clippy::print_stdout)] // A command line prints its results.

use std::sync::Arc;

use serde::Deserialize;

use crate::config::Config;
use crate::crypto::{Keyring, MasterKey};
use crate::identity::caller::{AGENT_ROLE, Caller, Origin};
use crate::state::AppState;
use crate::store::people::{self, Person};
use crate::store::{self, agents, teams, threads};
use crate::threads::open::{self, NewThread};
use crate::threads::reply;

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

/// Where `idp dev-setup` writes the demo people (`idp::dev::DEMO_PEOPLE_FILE`: the two
/// services never link each other, so the path is written twice, here and there).
const DEMO_PEOPLE_FILE: &str = ".local/demo/people.json";

/// A demo person as the idp's tokens will name them.
#[derive(Debug, Deserialize)]
struct DemoPerson {
    sub: String,
    username: String,
    name: String,
}

impl DemoPerson {
    fn caller(&self, roles: &[&str]) -> Caller {
        Caller {
            sub: self.sub.clone(),
            person: Person {
                sub: self.sub.clone(),
                username: self.username.clone(),
                name: self.name.clone(),
                email: None,
                locale: "fr-CA".into(),
            },
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            acts_for: Vec::new(),
            origin: Origin::default(),
            token_expires: i64::MAX,
        }
    }
}

/// Two conversations of the demo professional, through the same feature code as the pages:
/// one they opened (billing) that the demo agent answered, one the agent opened to them (a
/// service notice). Returns how many threads it wrote.
async fn demo_threads(config: Arc<Config>) -> anyhow::Result<usize> {
    let Ok(text) = std::fs::read_to_string(DEMO_PEOPLE_FILE) else {
        return Ok(0);
    };
    let demo: Vec<DemoPerson> = serde_json::from_str(&text)?;
    let professional = demo.iter().find(|p| p.username.starts_with("IP"));
    let agent = demo.iter().find(|p| p.username == DEMO_AGENT);
    let (Some(professional), Some(agent)) = (professional, agent) else {
        return Ok(0);
    };
    let app = AppState::connect_shared(config)?;
    {
        let db = app.db.get().await?;
        if threads::any_for(&db, &professional.sub).await? {
            return Ok(0);
        }
        for person in [professional, agent] {
            people::upsert(&db, &person.caller(&[]).person, false).await?;
        }
    }
    let pro = professional.caller(&[]);
    let agent = agent.caller(&[AGENT_ROLE, "messaging-supervisor"]);
    let billing = open::open(
        &app,
        &pro,
        NewThread {
            category: "billing".into(),
            subject: "Demande de paiement 2026-118 refusée".into(),
            body:
                "Bonjour,\n\nma demande de paiement 2026-118 du 2 décembre a été refusée avec le \
                   message « autorisation manquante ». Le patient avait pourtant une autorisation \
                   valide. Pouvez-vous vérifier?\n\nMerci,\nMarie Tremblay"
                    .into(),
            professional: None,
            refers_to: None,
            team: None,
        },
    )
    .await?;
    reply::reply(
        &app,
        &agent,
        billing.thread_id,
        "Bonjour Dre Tremblay,\n\nil manquait le numéro d'autorisation sur la demande. \
         Vous pouvez la transmettre de nouveau en l'ajoutant dans la case 14; elle sera \
         traitée dans le cycle suivant.\n\nJean Gagnon, Régie",
        false,
        &[],
    )
    .await?;
    open::open(
        &app,
        &agent,
        NewThread {
            category: "service-notices".into(),
            subject: "Mise à jour de votre avis de service".into(),
            body: "Bonjour,\n\nvotre avis de service du 1er décembre a été mis à jour. \
                   Aucune action n'est requise de votre part.\n\nLa Régie"
                .into(),
            professional: Some(professional.username.clone()),
            refers_to: None,
            team: None,
        },
    )
    .await?;
    Ok(2)
}

/// Runs the set-up.
pub async fn setup(config: Config) -> anyhow::Result<()> {
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
    let url = config.server.public_url.clone();
    // The demo conversations are a convenience: without them the service still runs.
    let written = match demo_threads(Arc::new(config)).await {
        Ok(written) => written,
        Err(e) => {
            println!("  (no demo conversations: {e:#})");
            0
        }
    };
    println!();
    println!("  Secure messaging    {url} (demo agent {DEMO_AGENT}, supervisor of every team)");
    if written > 0 {
        println!("  Demo conversations  {written}, with the demo professional");
    }
    println!("  Messaging API       {url}api/v1/openapi.json");
    Ok(())
}

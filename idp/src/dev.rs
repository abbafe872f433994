//! `idp dev-setup`: everything a newcomer needs before `serve`, idempotent — dev CA and
//! localhost certificate, secrets, migrations, signing keys, demo clients and accounts.

#![allow(clippy::print_stdout)] // It prints where to go and the demo credentials.

use std::path::Path;
use std::time::Duration;

use crate::admin::clients::Registration;
use crate::admin::users::{AddUserError, NewUser};
use crate::config::Config;
use crate::keys::SigningAlg;
use crate::{admin, store};

/// Where the demo relying party (messaging, https://localhost:8444) receives its codes.
pub const DEMO_PORTAL_CALLBACK: &str = "https://localhost:8444/callback";

/// Demo professional.
pub const DEMO_PROFESSIONAL: (&str, &str) = ("IP12345", "demo-professionnel-2026");
/// Demo staff member.
pub const DEMO_STAFF: (&str, &str) = ("CE67890", "demo-personnel-2026");
/// The demo professional's secret questions and answers (question id, answer), for trying
/// "Mot de passe oublié?" (and for the recovery benchmark).
pub const DEMO_ANSWERS: [(&str, &str); 8] = [
    ("first-pet", "Filou"),
    ("mother-birthplace", "Rimouski"),
    ("first-school", "École Saint-Jean"),
    ("childhood-street", "rue des Érables"),
    ("first-employer", "Dépanneur Chez Paul"),
    ("grandmother-given-name", "Thérèse"),
    ("first-car", "Toyota Corolla"),
    ("childhood-friend", "Sébastien"),
];

/// Demo professional whose password is expired and who has no secret questions yet: signing
/// in walks the *Questions secrètes* page and the new-password page.
pub const DEMO_EXPIRED: (&str, &str) = ("IP24680", "demo-expire-2026");

/// Prepares a development environment.
pub async fn setup(config: &Config) -> anyhow::Result<()> {
    let certs = crate::tls::ensure_dev_certs(Path::new("certs"))?;
    for path in [
        &config.keys.encryption_key_file,
        &config.tokens.client_secret_key_file,
        &config.session.csrf_key_file,
    ]
    .into_iter()
    .flatten()
    {
        crate::tls::ensure_secret_file(path)?;
    }
    let pool = store::pool(&config.database)?;
    store::migrate(&pool, &config.database).await?;
    let mut db = pool.get().await?;
    crate::keys::rotation::ensure_keys(&db, &config.key_encryption_key()?, &config.keys.algorithms)
        .await?;
    let issuer = config.issuer();
    let key = config.client_secret_key()?;
    let demo_secret_file = Path::new(".local/demo/demo-portal.secret");
    let demos = [
        Registration {
            id: "demo-portal".into(),
            name: "Messagerie sécurisée (démonstration)".into(),
            public: false,
            redirect_uris: vec![DEMO_PORTAL_CALLBACK.into()],
            post_logout_redirect_uris: vec!["https://localhost:8444/".into()],
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            id_token_alg: SigningAlg::Es256,
            first_party: true,
            backchannel_logout_uri: Some("https://localhost:8444/backchannel-logout".into()),
            home_uri: Some("https://localhost:8444/".into()),
        },
        // No page of its own is served for it (`scripts/dev` runs none): registered to try
        // the public-client flow with a relying-party library, not listed on the home page.
        Registration {
            id: "demo-spa".into(),
            name: "Application publique de démonstration (PKCE)".into(),
            public: true,
            redirect_uris: vec!["http://127.0.0.1:8446/callback".into()],
            post_logout_redirect_uris: vec!["http://127.0.0.1:8446/".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scopes: vec!["openid".into(), "profile".into()],
            id_token_alg: SigningAlg::Rs256,
            first_party: false,
            backchannel_logout_uri: None,
            home_uri: None,
        },
    ];
    // The demo clients are registered afresh on every run, so they always match this code
    // (a registration from an older checkout would keep its old redirect URIs).
    for registration in demos {
        let id = registration.id.clone();
        let tx = db.transaction().await?;
        crate::store::clients::delete(&tx, &id).await?;
        let secret = admin::clients::register(&tx, &key, registration)
            .await
            .map_err(|e| anyhow::anyhow!("demo client `{id}`: {e}"))?;
        if let Some(secret) = secret {
            write_private(demo_secret_file, &secret)?;
        }
        tx.commit().await?;
    }
    let hasher = crate::password::Hasher::new(config.password, 2, Duration::from_secs(60))?;
    let users = [
        (
            DEMO_PROFESSIONAL,
            "Marie",
            "Tremblay",
            Some("medecin"),
            "professional",
        ),
        (DEMO_STAFF, "Jean", "Gagnon", None, "staff"),
        (
            DEMO_EXPIRED,
            "Luc",
            "Bouchard",
            Some("pharmacien"),
            "professional",
        ),
    ];
    for ((username, password), given, family, profession, kind) in users {
        let tx = db.transaction().await?;
        let user = NewUser {
            username: username.into(),
            password: password.into(),
            given_name: given.into(),
            family_name: family.into(),
            // Demo addresses: their notices land in the dev mail sink (.local/mail/).
            email: Some(format!(
                "{}.{}@example.org",
                given.to_lowercase(),
                family.to_lowercase()
            )),
            profession: profession.map(str::to_owned),
            account_type: kind.into(),
        };
        match admin::users::add(&tx, &hasher, admin::users::Rules::of(config), user).await {
            Ok(_) => tx.commit().await?,
            Err(AddUserError::Taken) => {}
            Err(e) => return Err(anyhow::anyhow!("demo account `{username}`: {e}")),
        }
    }
    seed_demo_answers(&db, &hasher, config).await?;
    write_demo_people(&db).await?;
    // The demo staff member is the messaging service's demo agent (and supervisor).
    for role in [
        crate::domain::Role::MessagingAgent,
        crate::domain::Role::MessagingSupervisor,
    ] {
        admin::roles::grant(&db, DEMO_STAFF.0, role).await?;
    }
    // Expired again on every run, so the demo of the expired-password path can be repeated
    // (a password chosen there is kept: only its age is reset).
    db.execute(
        "UPDATE password_credentials p SET changed_at = now() - interval '400 days' \
         FROM accounts a WHERE a.id = p.account_id AND a.username = $1",
        &[&DEMO_EXPIRED.0],
    )
    .await?;
    println!();
    println!("  Identity provider   {issuer}/  (home page: sign in and see your services)");
    println!("  Discovery           {issuer}/.well-known/openid-configuration");
    println!(
        "  Operations          http://{}/metrics, /readyz, /healthz (never on the public port)",
        config.server.metrics_bind
    );
    println!("  Dev CA to trust     {}", certs.ca_pem.display());
    println!(
        "  Demo professional   {} / {}",
        DEMO_PROFESSIONAL.0, DEMO_PROFESSIONAL.1
    );
    println!(
        "  Demo staff          {} / {}  (the messaging service's demo agent)",
        DEMO_STAFF.0, DEMO_STAFF.1
    );
    println!(
        "  Secret answers of {} (for « Mot de passe oublié? »):",
        DEMO_PROFESSIONAL.0
    );
    for (id, answer) in DEMO_ANSWERS {
        if let Some(question) = config.secret_questions.find(id) {
            println!("      {} → {answer}", question.fr);
        }
    }
    println!(
        "  Expired password    {} / {}  (walks the secret questions and a new password)",
        DEMO_EXPIRED.0, DEMO_EXPIRED.1
    );
    println!(
        "  Demo clients        demo-portal (confidential, secret in {}), demo-spa (public, PKCE)",
        demo_secret_file.display()
    );
    println!();
    Ok(())
}

/// Gives the demo professional the `DEMO_ANSWERS`, unless they already set questions.
/// Where `idp dev-setup` tells the messaging service's `dev-setup` who the demo people are
/// (their `sub` as the idp's tokens will carry it), so that it can write demo conversations
/// before anyone signs in. A dev hand-off beside `demo-portal.secret`; never read in production.
pub const DEMO_PEOPLE_FILE: &str = ".local/demo/people.json";

async fn write_demo_people(db: &impl crate::store::GenericClient) -> anyhow::Result<()> {
    let rows = db
        .query(
            "SELECT id::text AS sub, username, given_name || ' ' || family_name AS name \
             FROM accounts WHERE username = ANY($1) ORDER BY username",
            &[&vec![DEMO_PROFESSIONAL.0, DEMO_STAFF.0]],
        )
        .await?;
    let people: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "sub": r.get::<_, String>("sub"),
                "username": r.get::<_, String>("username"),
                "name": r.get::<_, String>("name"),
            })
        })
        .collect();
    write_private(
        Path::new(DEMO_PEOPLE_FILE),
        &serde_json::to_string_pretty(&people)?,
    )
}

async fn seed_demo_answers(
    db: &impl store::GenericClient,
    hasher: &crate::password::Hasher,
    config: &Config,
) -> anyhow::Result<()> {
    use crate::questions::answer;
    let folded = DEMO_PROFESSIONAL.0.to_lowercase();
    let Some(found) = store::accounts::find_by_login_name(db, &folded).await? else {
        return Ok(());
    };
    if !store::questions::answered(db, found.account.id)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let mut hashed = Vec::new();
    for (id, raw) in DEMO_ANSWERS {
        anyhow::ensure!(
            config.secret_questions.find(id).is_some(),
            "demo question `{id}` is not in the catalogue"
        );
        let normalised = answer::normalise(raw).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let input = answer::hash_input(id, &normalised)
            .ok_or_else(|| anyhow::anyhow!("demo answer too long"))?;
        hashed.push((id.to_owned(), hasher.hash(&input).await?));
    }
    store::questions::replace(db, found.account.id, &hashed).await?;
    Ok(())
}

/// Writes a secret to a file readable by its owner only.
pub fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        use std::os::unix::fs::PermissionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        // `mode` applies only when the file is created: tighten an existing file too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(content.as_bytes())?;
        file.write_all(b"\n")?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, format!("{content}\n"))?;
    Ok(())
}

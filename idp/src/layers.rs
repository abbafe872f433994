//! The layers of `idp/src`, checked (docs/ARCHITECTURE.md draws them) by the kit's checker
//! (`service_kit::layers`). A new module fails this test until it is given a layer here.

/// Bottom to top.
const LAYERS: &[(&str, &[&str])] = &[
    ("values", &["domain", "error", "i18n", "metrics", "tls"]),
    ("configuration", &["config", "telemetry"]),
    (
        "stores and crypto",
        &["store", "keys", "password", "password_policy"],
    ),
    (
        "shared state and services",
        &["state", "assistance", "mail"],
    ),
    ("web", &["web"]),
    ("single sign-on", &["sso"]),
    (
        "features",
        &[
            "access_requests",
            "account",
            "admin",
            "credentials",
            "delegations",
            "console",
            "enrolment",
            "helpdesk",
            "login",
            "oidc",
            "questions",
            "recovery",
            "second_factor",
            "security",
            "username_reminder",
        ],
    ),
    ("wiring", &["app", "cli", "dev", "ops", "lib", "main"]),
];

fn src() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_module_has_a_layer_uses_nothing_above_it_and_no_circle() {
    let wrong = service_kit::layers::check(&src(), LAYERS);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn features_sit_above_the_store() {
    let layer_of = |m: &str| LAYERS.iter().position(|(_, ms)| ms.contains(&m));
    assert!(layer_of("oidc") > layer_of("store"));
}

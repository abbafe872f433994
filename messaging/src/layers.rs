//! The layers of `messaging/src`, checked by the kit's checker (`service_kit::layers`;
//! docs/MESSAGING.md draws them). A new module fails this test until it is given a layer here.

/// Bottom to top.
const LAYERS: service_kit::layers::Layers<'static> = &[
    ("values", &["domain", "error", "i18n", "config"]),
    ("stores", &["store", "blobs", "antivirus"]),
    ("crypto and events", &["crypto", "events"]),
    ("identity", &["identity"]),
    ("state", &["state"]),
    ("features", &["threads"]),
    ("session", &["session"]),
    (
        "edges",
        &[
            "api", "auth", "pages", "journal", "notify", "janitor", "dev",
        ],
    ),
    ("wiring", &["app", "cli", "lib", "main"]),
];

#[test]
fn every_module_has_a_layer_uses_nothing_above_it_and_no_circle() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let wrong = service_kit::layers::check(&src, LAYERS);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

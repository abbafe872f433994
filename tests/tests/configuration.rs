//! Both services' configuration, property-tested: any value of any key the files set loads or
//! is refused naming that key — never a panic, never a refusal that leaves an operator
//! guessing. (256 cases each here; `scripts/properties` runs 10 000.)

use std::path::Path;

use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use figment::value::Value;
use proptest::prelude::*;

/// `default.toml` and `test.toml` of `dir`.
fn files(dir: &Path) -> Figment {
    Figment::new()
        .merge(Toml::file(dir.join("default.toml")))
        .merge(Toml::file(dir.join("test.toml")))
}

/// A hostile value of any type.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "\\PC{0,40}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
    ]
}

/// Sets the `which`th key of `dir`'s files to `value` and loads: `Ok` (loaded, or refused by
/// one of the service's rules, which name their key), or a parse error's text, which must name
/// the key.
fn set_and_load(
    dir: &Path,
    which: prop::sample::Index,
    value: &Value,
    load: impl Fn(Figment) -> Result<(), String>,
) -> Result<(), TestCaseError> {
    let keys = service_kit::config_keys::leaf_keys(&files(dir));
    prop_assert!(keys.len() > 20, "the files' keys: {keys:?}");
    let key = which.get(&keys);
    if let Err(error) = load(files(dir).merge(Serialized::default(key, value))) {
        let last = key.rsplit('.').next().unwrap_or(key);
        prop_assert!(error.contains(last), "{key} = {value:?}: {error}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_value_of_any_idp_key_loads_or_is_refused_by_name(
        which in any::<prop::sample::Index>(),
        value in value(),
    ) {
        use idp::config::{Config, ConfigError};
        let dir = integration_tests::repo_root().join("config");
        set_and_load(&dir, which, &value, |figment| match Config::from_figment(figment) {
            Ok(_) | Err(ConfigError::Invalid { .. }) => Ok(()),
            Err(e) => Err(e.to_string()),
        })?;
    }

    #[test]
    fn any_value_of_any_messaging_key_loads_or_is_refused_by_name(
        which in any::<prop::sample::Index>(),
        value in value(),
    ) {
        use messaging::config::{Config, ConfigError};
        let dir = integration_tests::repo_root().join("config/messaging");
        set_and_load(&dir, which, &value, |figment| match Config::from_figment(figment) {
            Ok(_) | Err(ConfigError::Invalid { .. }) => Ok(()),
            Err(e) => Err(e.to_string()),
        })?;
    }
}

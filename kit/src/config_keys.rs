//! The keys a configuration sets, dotted (`server.bind`): both services' property tests set
//! each of them to hostile values and expect the configuration loaded or refused by that
//! key's name, never a panic.

use figment::Figment;
use figment::value::{Dict, Value};

/// Every key of `figment` that holds a value: not a table, and not an array (lists, and lists
/// of tables such as the messaging categories, are left out).
pub fn leaf_keys(figment: &Figment) -> Vec<String> {
    fn walk(prefix: &str, dict: &Dict, keys: &mut Vec<String>) {
        for (name, value) in dict {
            let key = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match value {
                Value::Dict(_, inner) => walk(&key, inner, keys),
                Value::Array(..) => {}
                _ => keys.push(key),
            }
        }
    }
    let mut keys = Vec::new();
    if let Ok(dict) = figment.extract::<Dict>() {
        walk("", &dict, &mut keys);
    }
    keys
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use figment::providers::{Format as _, Toml};

    #[test]
    fn the_leaves_of_nested_tables_are_named_with_dots() {
        let figment = Figment::from(Toml::string(
            "[server]\nbind = \"x\"\n[a.b]\nc = 1\nlist = [1, 2]\n",
        ));
        assert_eq!(leaf_keys(&figment), ["a.b.c", "server.bind"]);
    }
}

//! The layers of a crate's `src`, checked by a test in each service (`idp/src/layers.rs`,
//! `messaging/src/layers.rs`): every top-level module sits in one layer; a module may use
//! modules of its own layer or below, never above, and no modules may use each other in a
//! circle, however long. Text-based: it reads `crate::…` paths outside comments and
//! `#[cfg(test)]` code (test-only files, `*tests.rs` and `layers.rs`, may reach anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, bottom to top: a name and its modules.
pub type Layers<'a> = &'a [(&'a str, &'a [&'a str])];

/// What breaks the layers of `src`: one line per problem (empty when none).
pub fn check(src: &Path, layers: Layers<'_>) -> Vec<String> {
    let graph = match imports(src) {
        Ok(graph) => graph,
        Err(e) => return vec![format!("cannot read {}: {e}", src.display())],
    };
    let layer_of = |module: &str| {
        layers
            .iter()
            .position(|(_, modules)| modules.contains(&module))
    };
    let mut wrong = Vec::new();
    for (module, used) in &graph {
        let Some(own) = layer_of(module) else {
            wrong.push(format!(
                "`{module}` has no layer: add it to LAYERS in layers.rs"
            ));
            continue;
        };
        for target in used {
            match layer_of(target) {
                None => wrong.push(format!("`{module}` uses `{target}`, which has no layer")),
                Some(layer) if layer > own => wrong.push(format!(
                    "`{module}` ({}) uses `{target}` ({}), a layer above it",
                    layers[own].0, layers[layer].0
                )),
                Some(_) => {}
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        wrong.push(format!("import cycle: {}", cycle.join(" → ")));
    }
    wrong
}

/// The top-level modules each top-level module names (`crate::x`), outside comments and
/// `#[cfg(test)]` code.
fn imports(src: &Path) -> std::io::Result<BTreeMap<String, BTreeSet<String>>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            // Test-only files (`pg_tests.rs`, this one) may reach anywhere.
            if !name.ends_with(".rs") || name.ends_with("tests.rs") || name == "layers.rs" {
                continue;
            }
            let Some(first) = path
                .strip_prefix(src)
                .ok()
                .and_then(|r| r.components().next())
            else {
                continue;
            };
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&path)?;
            let used = graph.entry(module.clone()).or_default();
            for line in code_lines(&text) {
                for target in named_modules(line) {
                    if target != module {
                        used.insert(target);
                    }
                }
            }
        }
    }
    Ok(graph)
}

/// The lines of a file that are code: comments dropped, a `#[cfg(test)] mod x;` line dropped,
/// and everything from a `#[cfg(test)] mod tests {` on (tests may reach anywhere).
fn code_lines(text: &str) -> Vec<&str> {
    let mut code = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line_trimmed = line.trim();
        if line_trimmed == "#[cfg(test)]" {
            match lines.next() {
                Some(item) if item.trim_end().ends_with(';') => continue,
                _ => break,
            }
        }
        if !line_trimmed.starts_with("//") {
            code.push(line);
        }
    }
    code
}

/// The modules a line names: `crate::x…` and `crate::{x, y…}`.
fn named_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// A circle of modules, if any (depth-first search for a back edge).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_see_an_upward_use_and_a_circle() {
        assert_eq!(
            named_modules("use crate::{login, oidc::authorize}; crate::web::Form"),
            ["login", "oidc", "web"]
        );
        let text = "#[cfg(test)]\nmod pg_tests;\nuse crate::a;\n// crate::b\n#[cfg(test)]\nmod tests {\nuse crate::c;";
        assert_eq!(code_lines(text), ["use crate::a;"]);
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
        assert_eq!(
            find_cycle(&graph),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
    }
}

//! The layering, checked from the source: the domain never reaches up into the command layer,
//! each domain module imports only what its line of the layer table in `src/lib.rs` declares, the
//! top-level modules form no import cycle, files (of `src/`, `tests/` and `crates/`) stay small,
//! and the emulator's crate depends on nothing of ykprov (`witness`). A failure names the file or
//! the module.

mod layers;
mod witness;

use layers::LayerTable;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files and folders of the command layer (relative to `src/`).
const COMMAND_LAYER: &[&str] = &["main.rs", "lib.rs", "cli.rs", "cli", "commands"];

/// What a domain file must never name: the command layer, or clap.
const FORBIDDEN: &[&str] = &[
    "crate::cli",
    "crate::commands",
    "crate::app",
    "clap::",
    "use clap",
];

/// The hard stop for a source file: split it by concern before it gets here.
const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/okta/client.rs` → (`okta`, `okta/client.rs`).
///
/// Only for files under `src/`.
fn top_module(path: &Path) -> (String, String) {
    let rel = path
        .strip_prefix(src())
        .expect("under src")
        .to_string_lossy()
        .replace('\\', "/");
    let top = rel
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string();
    (top, rel)
}

fn is_command_layer(rel: &str) -> bool {
    COMMAND_LAYER
        .iter()
        .any(|c| rel == *c || rel.starts_with(&format!("{c}/")))
}

/// The code outside tests (tests may build CLI values and print while they drive the code):
/// nothing of a `tests.rs` file, nothing after a `#[cfg(test)]` module starts.
fn non_test_code<'a>(rel: &str, text: &'a str) -> &'a str {
    if rel.ends_with("/tests.rs") {
        return "";
    }
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// Every `crate::NAME` a text names, including `use crate::{a, b::c}` groups.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    refs.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            refs.insert(name);
        }
    }
    refs
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn domain_modules_never_import_the_command_layer_or_clap() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut offenders = Vec::new();
    for path in &files {
        let (_, rel) = top_module(path);
        if is_command_layer(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read source");
        for bad in FORBIDDEN {
            if non_test_code(&rel, &text).contains(bad) {
                offenders.push(format!("src/{rel} names `{bad}`"));
            }
        }
        for print in ["println!", "print!(", "eprintln!", "eprint!("] {
            if non_test_code(&rel, &text).contains(print) {
                offenders.push(format!("src/{rel} prints with `{print}` (only commands/ prints)"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the domain reaches into the command layer:\n{}",
        offenders.join("\n")
    );
}

/// Each top-level domain module (or shared leaf) and the top-level modules its non-test code
/// names; the command layer is left out (it may use anything).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let (top, rel) = top_module(path);
        if is_command_layer(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read source");
        let deps = graph.entry(top.clone()).or_default();
        deps.extend(
            crate_refs(non_test_code(&rel, &text))
                .into_iter()
                .filter(|d| *d != top),
        );
    }
    graph
}

#[test]
fn top_level_modules_form_no_import_cycle() {
    let graph = import_graph();
    assert!(graph.len() >= 8, "found only {:?}", graph.keys());
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between top-level modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn each_domain_module_imports_only_what_the_layer_table_of_lib_rs_declares() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    let table = LayerTable::parse(&lib).unwrap_or_else(|e| panic!("src/lib.rs: {e}"));
    let problems = table.violations(&import_graph());
    assert!(
        problems.is_empty(),
        "the imports differ from the layer table in src/lib.rs (change the code, or the table \
         if the layering really changed):\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_source_or_test_file_is_over_the_line_limit() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"), &mut files);
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates"), &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("crates/okta-emulator/src/lib.rs")),
        "the emulator's crate is not under crates/"
    );
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let lines = std::fs::read_to_string(p).expect("read source").lines().count();
            let rel = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(p);
            (lines > MAX_LINES).then(|| format!("{} has {lines} lines", rel.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split them by concern):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checks_see_grouped_imports_and_cycles() {
    let refs = crate_refs("use crate::{okta::models, seed};\nlet x = crate::journal::replay;");
    assert_eq!(
        refs,
        ["journal", "okta", "seed"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into_iter().collect()),
        ("b".to_string(), ["a".to_string()].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "a".into()]));
}

//! The emulator is an independent witness: its crate (`crates/okta-emulator`) may depend on no
//! code of ykprov, so the client's serde types, thumbprints or field rules cannot leak into the
//! answers the client is tested against. Cargo's own view of the manifests is checked, and the
//! emulator's source for any path into ykprov.

use super::rust_files;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo metadata --no-deps`: the workspace's packages with their declared dependencies.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--manifest-path",
        ])
        .arg(root().join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn package<'a>(meta: &'a Value, name: &str) -> &'a Value {
    meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("the workspace has no package {name}"))
}

/// Every dependency of a package (normal, dev and build), as `name` or `name (path P)`.
fn dependencies(package: &Value) -> Vec<(String, Option<PathBuf>)> {
    package["dependencies"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    let name = d["name"].as_str().unwrap_or_default().to_string();
                    (name, d["path"].as_str().map(PathBuf::from))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `path` is ykprov's package (the workspace root) or inside it but outside the
/// emulator's crate, which a path dependency could only mean to reach ykprov's code.
fn reaches_ykprov(path: &Path) -> bool {
    let emulator = root().join("crates/okta-emulator");
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let root = root().canonicalize().unwrap_or_else(|_| root());
    path == root || (path.starts_with(&root) && !path.starts_with(emulator))
}

/// The emulator's problems in cargo's metadata: a dependency named ykprov or a path into it.
fn witness_problems(meta: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, path) in dependencies(package(meta, "okta-emulator")) {
        if name == "ykprov" {
            problems.push("okta-emulator depends on ykprov".to_string());
        }
        if let Some(p) = path.filter(|p| reaches_ykprov(p)) {
            problems.push(format!(
                "okta-emulator's {name} is a path into ykprov: {}",
                p.display()
            ));
        }
    }
    problems
}

#[test]
fn the_emulator_crate_depends_on_nothing_of_ykprov() {
    let meta = metadata();
    let problems = witness_problems(&meta);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // And the other way round it is used, so the check above looks at the real emulator.
    let ykprov = dependencies(package(&meta, "ykprov"));
    assert!(
        ykprov.iter().any(|(n, _)| n == "okta-emulator"),
        "ykprov no longer depends on okta-emulator: {ykprov:?}"
    );
}

#[test]
fn the_witness_check_catches_a_dependency_on_ykprov() {
    let root = root().display().to_string();
    let meta = serde_json::json!({"packages": [{"name": "okta-emulator", "dependencies": [
        {"name": "serde"},
        {"name": "ykprov", "path": root},
        {"name": "helpers", "path": format!("{root}/src")},
    ]}]});
    assert_eq!(witness_problems(&meta).len(), 3, "{:?}", witness_problems(&meta));
}

#[test]
fn no_emulator_source_names_ykprov() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/okta-emulator/src"), &mut files);
    assert!(files.len() >= 20, "found only {} emulator files", files.len());
    let offenders: Vec<String> = files
        .iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).expect("read source");
            text.contains("ykprov::") || text.contains("use ykprov") || text.contains("extern crate ykprov")
        })
        .map(|p| p.strip_prefix(root()).unwrap_or(p).display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "emulator files naming ykprov: {offenders:?}"
    );
}

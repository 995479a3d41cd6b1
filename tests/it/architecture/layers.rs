//! The layer table of `src/lib.rs`, parsed: each domain line `NAME -> DEP, DEP (detail), …` says
//! which top-level modules NAME may import; `shared leaves A, B, …: …` names the modules any layer
//! may use, which themselves import only other leaves. Other helpers add lines to the table, so
//! the parser finds the module column from the `domain` line and takes any line below it, until
//! `shared leaves`, whatever the left-hand notes say.

use std::collections::{BTreeMap, BTreeSet};

/// Which domain module may import which, and the shared leaves.
#[derive(Debug, PartialEq, Eq)]
pub struct LayerTable {
    /// Domain module → the modules its line declares.
    pub domain: BTreeMap<String, BTreeSet<String>>,
    /// Modules any layer may use.
    pub leaves: BTreeSet<String>,
}

/// A module or dependency name at the start of `text`.
fn ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `okta (models), seed (Serial)` → {okta, seed}: details in parentheses may hold commas.
fn dep_names(list: &str) -> BTreeSet<String> {
    let mut plain = String::new();
    let mut depth = 0u32;
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain.split(',').map(ident).filter(|n| !n.is_empty()).collect()
}

impl LayerTable {
    /// Parses the `//!` table of `lib_rs`, or says what is wrong with it.
    pub fn parse(lib_rs: &str) -> Result<LayerTable, String> {
        let lines: Vec<&str> = lib_rs.lines().filter_map(|l| l.strip_prefix("//!")).collect();
        let start = lines
            .iter()
            .position(|l| l.trim_start().starts_with("domain "))
            .ok_or("no line of the layer table starts with `domain`")?;
        let first = lines[start];
        let after = first.find("domain").unwrap_or(0) + "domain".len();
        let column = after + (first[after..].len() - first[after..].trim_start().len());
        let mut table = LayerTable {
            domain: BTreeMap::new(),
            leaves: BTreeSet::new(),
        };
        let mut last: Option<String> = None;
        for line in &lines[start..] {
            if let Some(leaves) = line.trim_start().strip_prefix("shared leaves") {
                let names = leaves.split(':').next().unwrap_or_default();
                table.leaves = dep_names(names);
                break;
            }
            if line.trim_start().starts_with("```") {
                return Err("the layer table has no `shared leaves` line".into());
            }
            let rest = line.get(column..).unwrap_or_default();
            if rest.trim().is_empty() || rest.trim_start().starts_with("---") {
                continue;
            }
            let (name_part, deps) = match rest.split_once("->") {
                Some((n, d)) => (n, dep_names(d)),
                None => (rest, BTreeSet::new()),
            };
            // A line indented past the module column continues the previous line's list.
            if rest.starts_with(' ') {
                let prev = last.as_ref().ok_or("the table starts with a continuation line")?;
                let deps = dep_names(rest);
                table.domain.get_mut(prev).expect("added below").extend(deps);
                continue;
            }
            let name = ident(name_part);
            if name.is_empty() || table.domain.contains_key(&name) {
                return Err(format!(
                    "bad or repeated line in the layer table: `{}`",
                    line.trim()
                ));
            }
            table.domain.insert(name.clone(), deps);
            last = Some(name);
        }
        if table.leaves.is_empty() {
            return Err("the layer table has no `shared leaves` line".into());
        }
        Ok(table)
    }

    /// Every import of `graph` (module → modules it names) that the table does not allow, and
    /// every module of `graph` the table does not list.
    pub fn violations(&self, graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
        let mut out = Vec::new();
        for (module, imports) in graph {
            let allowed = if let Some(deps) = self.domain.get(module) {
                deps
            } else if self.leaves.contains(module) {
                &self.leaves
            } else {
                out.push(format!(
                    "module `{module}` is missing from the layer table in src/lib.rs: add a line \
                     `{module} -> …` naming what it may import (or list it as a shared leaf)"
                ));
                continue;
            };
            for import in imports {
                let is_leaf = self.leaves.contains(import);
                let ok = allowed.contains(import) || (is_leaf && !self.leaves.contains(module));
                if !ok {
                    let why = if self.leaves.contains(module) {
                        "a shared leaf may use only other leaves".to_string()
                    } else {
                        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
                        format!("not on its line of the table: {}", names.join(", "))
                    };
                    out.push(format!("`{module}` imports `{import}` ({why})"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "//! # Layout
//!
//! ```text
//! command layer   main.rs -> cli + commands/
//! ------------------------------------------------
//! domain          repair    -> upload, reconcile,
//!   (each line                 seed (Serial, Seed)
//!   may use only  upload    -> okta, seed (Serial)
//!   what is to    reconcile -> okta, seed, markup
//!   its right)    okta      -> seed
//!                 seed
//! shared leaves   secret, markup: used by any layer, use nothing
//!                 above
//! ```
pub mod seed;
";

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(m, d)| (m.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_table_parses_with_notes_details_and_continuations() {
        let t = LayerTable::parse(LIB).unwrap();
        assert_eq!(t.domain["repair"], set(&["upload", "reconcile", "seed"]));
        assert_eq!(t.domain["upload"], set(&["okta", "seed"]));
        assert_eq!(t.domain["seed"], set(&[]));
        assert_eq!(t.domain.len(), 5);
        assert_eq!(t.leaves, set(&["secret", "markup"]));
    }

    #[test]
    fn an_import_not_on_its_line_a_missing_module_and_a_leaf_reaching_up_are_named() {
        let t = LayerTable::parse(LIB).unwrap();
        let ok = graph(&[
            ("reconcile", &["okta", "markup", "secret"]),
            ("secret", &["markup"]),
        ]);
        assert_eq!(t.violations(&ok), Vec::<String>::new());
        let bad = graph(&[
            ("reconcile", &["upload"]),
            ("ledger", &["seed"]),
            ("markup", &["okta"]),
        ]);
        let v = t.violations(&bad);
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[0].contains("`ledger` is missing from the layer table"), "{v:?}");
        assert!(v[1].contains("`markup` imports `okta`"), "{v:?}");
        assert!(v[2].contains("`reconcile` imports `upload`"), "{v:?}");
    }

    #[test]
    fn a_table_without_its_lines_is_an_error() {
        assert!(LayerTable::parse("//! nothing here\n").is_err());
        let no_leaves = LIB.replace("shared leaves", "other things ");
        assert!(LayerTable::parse(&no_leaves).is_err());
    }
}

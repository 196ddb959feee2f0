//! The module chain, enforced: each top-level module may import only modules on floors below
//! its own (or itself), never one above and never a sibling on the same floor, so the
//! arrows all point down and no two modules import each other. Only `http` (and the binary)
//! knows axum. docs/architecture.md draws the same chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Floors, bottom to top. A module may import any module on a lower floor.
const FLOORS: &[&[&str]] = &[
    &["time", "config", "lock", "durable"],
    &["model", "s3"],
    &["cql2"],
    &["fgb", "mvt"],
    &["catalog"],
    &["store"],
    &["layer"],
    &["access"],
    &["tile"],
    &["query"],
    &["metrics", "ingest", "gen", "line", "push"],
    &["publish", "replica"],
    &["peers"],
    &["edit"],
    &["app"],
    &["admin"],
    &["http"],
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments (so a doc comment may name any module).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let code = match line.find("//") {
            // Not inside a string such as "http://…": only strip when the `//` starts the
            // trimmed line or follows whitespace.
            Some(i) if line[..i].trim().is_empty() || line[..i].ends_with(' ') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every top-level module a file names through `crate::…`, including `use crate::{a, b::c}`.
fn imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find("};").or_else(|| group.find('}')).unwrap_or(0);
            // Top-level items of the group: split at commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_segment(&inner[start..j]));
                        start = j + 1;
                    }
                    _ => {}
                }
            }
            found.push(first_segment(&inner[start..]));
        } else {
            found.push(first_segment(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn first_segment(path: &str) -> String {
    path.trim()
        .trim_start_matches("r#")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn sources() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_path_buf();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            let code = code_of(&std::fs::read_to_string(&p).unwrap());
            (top, rel, code)
        })
        .collect()
}

#[test]
fn every_module_is_on_a_floor() {
    for (top, rel, _) in sources() {
        if top == "lib" || top == "main" || top == "architecture" {
            continue;
        }
        assert!(
            floor_of(&top).is_some(),
            "{} is in module `{top}`, which has no floor in architecture.rs: add it",
            rel.display()
        );
    }
}

#[test]
fn imports_only_point_down_the_chain() {
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (top, rel, code) in sources() {
        let Some(own) = floor_of(&top) else { continue };
        for target in imports(&code) {
            if target == top {
                continue;
            }
            let ok = floor_of(&target).is_some_and(|f| f < own);
            if !ok {
                wrong
                    .entry(format!("{} (floor {own})", rel.display()))
                    .or_default()
                    .push(format!(
                        "{target} (floor {})",
                        floor_of(&target).map_or("?".into(), |f| f.to_string())
                    ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run up or sideways:\n{wrong:#?}"
    );
}

#[test]
fn only_http_knows_axum() {
    for (top, rel, code) in sources() {
        if top == "http" || top == "main" || top == "architecture" {
            continue;
        }
        assert!(
            !code.contains("axum"),
            "{} uses axum; only http/ may",
            rel.display()
        );
    }
}

#[test]
fn the_checker_sees_grouped_and_nested_imports() {
    let code = code_of(
        "use crate::{layer::{self, Layers}, model::Value};\n\
         // use crate::http::Router;\n\
         let x = crate::r#gen::run();\n",
    );
    assert_eq!(imports(&code), vec!["layer", "model", "gen"]);
}

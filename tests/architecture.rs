//! The layers of ARCHITECTURE.md, checked on the source: a module imports
//! only from its own layer or below, no two modules import each other,
//! nothing under `tests/` imports `cmd`, and no function in `src/` is longer
//! than `MAX_FUNCTION_LINES`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom up (ARCHITECTURE.md lists the same).
const LAYERS: &[&[&str]] = &[
    &[
        "domain", "dates", "text", "error", "memory", "progress", "parallel",
    ],
    &["stats"],
    &["io", "generate", "estimate"],
    &["features"],
    &["cluster"],
    &[
        "outcomes",
        "speed",
        "segments",
        "correlations",
        "leakage",
        "recommend",
        "verdict",
        "stability",
        "drift",
    ],
    &["report", "sql"],
    &["config"],
    &["pipeline"],
    &["cmd"],
];

/// The longest a function in `src/` may be, in lines.
const MAX_FUNCTION_LINES: usize = 100;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source without `//` comments (doc comments included), so a path
/// named in prose is not an import.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names with `prefix` (`crate::`
/// or `abm_segments::`), including each item of a `prefix{a, b::c}` group.
fn imported(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// The top-level module a file under `src/` belongs to (`None` for the crate root).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Module → the modules it imports, over every file of `src/`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let Some(m) = module_of(&f) else { continue };
        let names = imported(&code(&std::fs::read_to_string(&f).unwrap()), "crate::");
        let entry = graph.entry(m.clone()).or_default();
        entry.extend(names.into_iter().filter(|n| *n != m));
    }
    graph
}

/// Every way `graph` breaks the layers: unknown modules, upward imports,
/// modules importing each other.
fn violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let layer: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, ms)| ms.iter().map(move |m| (*m, i)))
        .collect();
    let mut bad = Vec::new();
    for (m, targets) in graph {
        let Some(&lm) = layer.get(m.as_str()) else {
            bad.push(format!(
                "module `{m}` is in no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        for t in targets {
            match layer.get(t.as_str()) {
                None => bad.push(format!("`{m}` imports `{t}`, which is in no layer")),
                Some(&lt) if lt > lm => bad.push(format!(
                    "`{m}` (layer {lm}) imports `{t}` from a layer above it (layer {lt})"
                )),
                Some(_) => {}
            }
            if m < t && graph.get(t).is_some_and(|back| back.contains(m)) {
                bad.push(format!("`{m}` and `{t}` import each other"));
            }
        }
    }
    bad
}

#[test]
fn modules_import_only_from_their_layer_or_below() {
    let graph = imports();
    assert!(graph.contains_key("pipeline") && graph.contains_key("report"));
    let bad = violations(&graph);
    assert!(bad.is_empty(), "the layers are broken:\n{}", bad.join("\n"));
}

#[test]
fn the_layer_check_catches_an_upward_import_and_a_cycle() {
    let parse = |m: &str, src: &str| (m.to_string(), imported(&code(src), "crate::"));
    let graph: BTreeMap<String, BTreeSet<String>> = [
        parse("verdict", "use crate::report::{Report, format};\n"),
        parse(
            "stats",
            "use crate::{error::Result, outcomes::OutcomeFigures};",
        ),
        parse(
            "outcomes",
            "let x = crate::stats::mean(v); // crate::cmd in a comment",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        violations(&graph),
        [
            "`outcomes` and `stats` import each other",
            "`stats` (layer 1) imports `outcomes` from a layer above it (layer 5)",
            "`verdict` (layer 5) imports `report` from a layer above it (layer 6)",
        ]
    );
}

#[test]
fn nothing_under_tests_imports_the_command_line_module() {
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    rust_files(&root().join("fuzz"), &mut files);
    let this = root().join("tests/architecture.rs");
    let users: Vec<String> = files
        .iter()
        .filter(|f| **f != this)
        .filter(|f| {
            imported(
                &code(&std::fs::read_to_string(f).unwrap()),
                "abm_segments::",
            )
            .contains("cmd")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        users.is_empty(),
        "these call the command line instead of abm_segments::pipeline: {users:?}"
    );
}

/// Functions (and test functions) as (name, first line, length in lines),
/// found by matching braces from each `fn` to the end of its body. Strings
/// and character literals holding braces are skipped.
fn functions(src: &str) -> Vec<(String, usize, usize)> {
    let bytes = src.as_bytes();
    let line_of = |i: usize| src[..i].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(off) = src[search..].find("fn ") {
        let start = search + off;
        search = start + 3;
        let boundary =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if !boundary {
            continue;
        }
        let name: String = src[start + 3..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` before any `;` (a declaration
        // without a body ends at `;`).
        let rest = &src[start..];
        let (Some(open), semi) = (rest.find('{'), rest.find(';')) else {
            continue;
        };
        if semi.is_some_and(|s| s < open) {
            continue;
        }
        let mut depth = 0usize;
        let mut i = start + open;
        let mut in_str = false;
        while i < bytes.len() {
            let c = bytes[i];
            if in_str {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'\'' && i + 2 < bytes.len() && bytes[i + 2] == b'\'' {
                i += 2;
            } else if c == b'{' {
                depth += 1;
            } else if c == b'}' {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            i += 1;
        }
        out.push((name, line_of(start), line_of(i) - line_of(start) + 1));
    }
    out
}

#[test]
fn the_function_counter_measures_bodies_not_strings() {
    let src = "fn a() {\n    let s = \"}}{\";\n    if x { y }\n}\n\nfn b();\nfn c() { '{' }\n";
    assert_eq!(
        functions(&code(src)),
        [("a".to_string(), 1, 4), ("c".to_string(), 7, 1)]
    );
}

#[test]
fn no_function_in_src_is_longer_than_the_limit() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut long = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        for (name, line, len) in functions(&code(&std::fs::read_to_string(&f).unwrap())) {
            let id = format!("{rel}::{name}");
            if len > MAX_FUNCTION_LINES {
                long.push(format!("{id} (line {line}): {len} lines"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}

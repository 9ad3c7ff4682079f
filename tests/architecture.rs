//! The layers of ARCHITECTURE.md, checked on the source: a module imports
//! only from its own layer or below, no two modules import each other, no
//! two files of a module use each other, nothing under `tests/` imports
//! `cmd`, no function in `src/` is longer than `MAX_FUNCTION_LINES` and no
//! file longer than `MAX_FILE_LINES`.

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

/// The longest a file in `src/` may be, in lines: past it a file is doing
/// more than one job and is split along them.
const MAX_FILE_LINES: usize = 1000;

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

// ------------------------------------------------------------ file-level circles

/// A module's own file (`mod.rs`, or `x.rs` beside a directory `x/`) among
/// its parts: `mod` is a keyword, so no child module has that name.
const OWN: &str = "mod";

/// A module's path from the crate root, from its file's path under `src/`
/// (`cluster/lloyd.rs` → `cluster::lloyd`, `cluster/mod.rs` → `cluster`).
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") || parts == ["lib"] {
        parts.pop();
    }
    parts
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths of a use tree or path expression starting at `s` (just after
/// its first `::`), each with the name it is bound to (`as` taken into
/// account): `a::{b, c::d as e}` gives `[a, b]`, `[a, c, d]` (as `e`).
fn path_tree(s: &str) -> Vec<(Vec<String>, String)> {
    fn tree(s: &[char], i: &mut usize, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
        let mut path = prefix.to_vec();
        loop {
            while s.get(*i).is_some_and(|c| c.is_whitespace()) {
                *i += 1;
            }
            if s.get(*i) == Some(&'{') {
                *i += 1;
                loop {
                    while s.get(*i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                        *i += 1;
                    }
                    match s.get(*i) {
                        None => return,
                        Some('}') => {
                            *i += 1;
                            return;
                        }
                        _ => {
                            let before = *i;
                            tree(s, i, &path, out);
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
            }
            let start = *i;
            while s.get(*i).is_some_and(|c| is_ident(*c) || *c == '*') {
                *i += 1;
            }
            if *i == start {
                break;
            }
            path.push(s[start..*i].iter().collect());
            if s.get(*i) == Some(&':') && s.get(*i + 1) == Some(&':') {
                *i += 2;
            } else {
                break;
            }
        }
        if path.last().is_some_and(|p| p == "self") {
            path.pop();
        }
        let rest: String = s[*i..].iter().take(64).collect();
        let alias = rest.trim_start().strip_prefix("as ").map(|a| {
            a.trim_start()
                .chars()
                .take_while(|c| is_ident(*c))
                .collect::<String>()
        });
        if path.len() > prefix.len() {
            let name = alias.unwrap_or_else(|| path.last().cloned().unwrap_or_default());
            out.push((path, name));
        }
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    tree(&chars, &mut 0, &[], &mut out);
    out
}

/// Byte ranges of the inline modules (`mod tests { … }`) of a piece of code,
/// with their names, found by matching braces (strings skipped).
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (start, _) in code.match_indices("mod ") {
        if start > 0 && is_ident(bytes[start - 1] as char) {
            continue;
        }
        let rest = &code[start + 4..];
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = start + 4 + rest.len() - after.len();
        out.push((open, closing_brace(code, open), name));
    }
    out
}

/// Byte ranges of the `pub use …;` statements of a piece of code: in a
/// module's own file these re-export its children rather than use them.
fn re_export_statements(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for prefix in ["pub use ", "pub(crate) use ", "pub(super) use "] {
        for (start, _) in code.match_indices(prefix) {
            let end = code[start..].find(';').map_or(code.len(), |e| start + e);
            out.push((start, end));
        }
    }
    out.sort();
    out
}

/// One path a file names, resolved from the crate root.
struct Named {
    /// The module the naming code is in (the file's, or an inline one in it).
    at: Vec<String>,
    target: Vec<String>,
    /// The name the path is bound to, for a re-export.
    name: String,
    /// Whether it is named in a `pub use` statement.
    re_export: bool,
}

/// Every path a file (at module path `file`) names through `crate::`,
/// `super::`, `self::` or a child module of where it is named (one of
/// `modules`), resolved from the crate root.
fn named_paths(file: &[String], code: &str, modules: &BTreeSet<Vec<String>>) -> Vec<Named> {
    let inline = inline_modules(code);
    let re_exports = re_export_statements(code);
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = code[i..].chars().next() {
        if !is_ident(c) {
            i += c.len_utf8();
            continue;
        }
        let word: String = code[i..].chars().take_while(|c| is_ident(*c)).collect();
        let boundary = i == 0 || !(is_ident(bytes[i - 1] as char) || bytes[i - 1] == b':');
        if !boundary || !code[i + word.len()..].starts_with("::") {
            i += word.len();
            continue;
        }
        let mut at = file.to_vec();
        at.extend(
            inline
                .iter()
                .filter(|(s, e, _)| *s < i && i < *e)
                .map(|(_, _, n)| n.clone()),
        );
        let mut child = at.clone();
        child.push(word.clone());
        let base = match word.as_str() {
            "crate" => Some(Vec::new()),
            "self" => Some(at.clone()),
            "super" => Some(at[..at.len().saturating_sub(1)].to_vec()),
            _ if modules.contains(&child) => Some(child),
            _ => None,
        };
        let Some(mut base) = base else {
            i += word.len();
            continue;
        };
        let mut rest = &code[i + word.len() + 2..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let re_export = re_exports.iter().any(|(s, e)| *s < i && i < *e);
        for (path, name) in path_tree(rest) {
            let mut target = base.clone();
            target.extend(path);
            out.push(Named {
                at: at.clone(),
                target,
                name,
                re_export,
            });
        }
        i = code.len() - rest.len();
    }
    out
}

/// The part of module `d` that `path` lies in: a child module of `d`, or
/// `d`'s own file (`None`).
fn part_of(d: &[String], path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<String> {
    let next = path.get(d.len())?;
    let mut child = d.to_vec();
    child.push(next.clone());
    modules.contains(&child).then(|| next.clone())
}

/// Module → part → the parts of the same module it uses.
type Uses = BTreeMap<(Vec<String>, String), BTreeSet<String>>;

/// Within each module below the top level, which of its parts use which:
/// its own file ([`OWN`]) and each child (a file, or a directory with
/// everything under it) are the parts, and a part uses another when it names
/// one of its items, test code included. A name the module's own file
/// re-exports from a child counts as the child's; re-exporting alone is not
/// using. `sources` holds each file's text by its path under `src/`.
fn file_uses(sources: &BTreeMap<String, String>) -> Uses {
    let files: BTreeMap<Vec<String>, String> = sources
        .iter()
        .filter(|(f, _)| *f != "main.rs")
        .map(|(f, text)| (module_path(f), code(text)))
        .collect();
    let modules: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let named: BTreeMap<&Vec<String>, Vec<Named>> = files
        .iter()
        .map(|(m, c)| (m, named_paths(m, c, &modules)))
        .collect();
    // Module → (name → child) of what its own file re-exports.
    let mut re_exported: BTreeMap<Vec<String>, BTreeMap<String, String>> = BTreeMap::new();
    for (m, paths) in &named {
        for n in paths.iter().filter(|n| n.re_export && &n.at == *m) {
            if let Some(child) = part_of(m, &n.target, &modules) {
                re_exported
                    .entry(m.to_vec())
                    .or_default()
                    .insert(n.name.clone(), child);
            }
        }
    }
    let mut uses = Uses::new();
    for (m, paths) in &named {
        for d in (1..=m.len()).map(|l| &m[..l]) {
            let from = part_of(d, m, &modules).unwrap_or_else(|| OWN.to_string());
            for n in paths.iter().filter(|n| n.target.starts_with(d)) {
                let to = match part_of(d, &n.target, &modules) {
                    Some(_) if n.re_export && from == OWN => continue,
                    Some(child) => child,
                    None => match n
                        .target
                        .get(d.len())
                        .and_then(|t| re_exported.get(d)?.get(t))
                    {
                        Some(child) => child.clone(),
                        None => OWN.to_string(),
                    },
                };
                if to != from {
                    uses.entry((d.to_vec(), from.clone()))
                        .or_default()
                        .insert(to);
                }
            }
        }
        // The own file's code naming what it re-exports uses that child.
        if let Some(names) = re_exported.get(*m) {
            let text = &files[*m];
            let mut outside = text.clone();
            for (s, e) in re_export_statements(text).into_iter().rev() {
                outside.replace_range(s..e, "");
            }
            // Declaring a child module is not using it.
            let outside: String = outside
                .lines()
                .filter(|line| {
                    let l = line.trim();
                    let l = ["pub ", "pub(crate) "]
                        .iter()
                        .find_map(|p| l.strip_prefix(p))
                        .unwrap_or(l);
                    !(l.starts_with("mod ") && l.ends_with(';'))
                })
                .collect::<Vec<_>>()
                .join("\n");
            for (name, child) in names {
                let word = outside.match_indices(name.as_str()).any(|(i, _)| {
                    let b = outside.as_bytes();
                    (i == 0 || !is_ident(b[i - 1] as char))
                        && b.get(i + name.len()).is_none_or(|c| !is_ident(*c as char))
                });
                if word {
                    uses.entry((m.to_vec(), OWN.to_string()))
                        .or_default()
                        .insert(child.clone());
                }
            }
        }
    }
    uses
}

/// The pairs of parts of a module ([`file_uses`]) that use each other,
/// each as `module: a ↔ b`.
fn file_circles(sources: &BTreeMap<String, String>) -> Vec<String> {
    let uses = file_uses(sources);
    let mut circles = Vec::new();
    for ((d, a), targets) in &uses {
        for b in targets.iter().filter(|b| a < *b) {
            let back = uses.get(&(d.clone(), b.clone()));
            if back.is_some_and(|t| t.contains(a)) {
                circles.push(format!("{}: {a} ↔ {b}", d.join("::")));
            }
        }
    }
    circles
}

/// Every file under `src/` by its path there (`cluster/lloyd.rs`).
fn sources() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root().join("src")).unwrap();
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy());
            (
                rel.collect::<Vec<_>>().join("/"),
                std::fs::read_to_string(f).unwrap(),
            )
        })
        .collect()
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    let sources = sources();
    let key = |m: &str, part: &str| (vec![m.to_string()], part.to_string());
    assert!(
        file_uses(&sources)[&key("cluster", "choose_k")].contains("lloyd"),
        "the check did not see choose_k use lloyd"
    );
    let circles = file_circles(&sources);
    assert!(
        circles.is_empty(),
        "files of a module use each other (move what both need into a file both use):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_check_catches_files_of_a_module_using_each_other() {
    let sources: BTreeMap<String, String> = [
        ("lib.rs", "pub mod k;\npub mod m;\npub mod p;\n"),
        // `a` uses `b`, and `b`'s tests use `a` through the re-export;
        // `c` uses the module's own type, which uses nothing of `c`.
        (
            "k/mod.rs",
            "pub mod a;\npub mod b;\npub mod c;\npub use a::fit;\npub struct Config;\n",
        ),
        ("k/a.rs", "use super::b::dist;\npub fn fit() {}\n"),
        (
            "k/b.rs",
            "// uses crate::k::c in prose only\npub fn dist() {}\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::k::fit;\n}\n",
        ),
        ("k/c.rs", "use super::{Config, a::fit as go};\n"),
        // The module's own file calls its child, which uses the own file's type.
        (
            "m/mod.rs",
            "mod x;\npub struct T;\npub fn run() { x::go(); }\n",
        ),
        ("m/x.rs", "pub fn go() -> super::T { super::T }\n"),
        // `d` (its own file and a file under it) and `v` use each other.
        ("p/mod.rs", "pub mod d;\npub mod v;\n"),
        ("p/d.rs", "mod h;\npub struct Found;\n"),
        ("p/d/h.rs", "fn f() { crate::p::v::check(); }\n"),
        ("p/v.rs", "pub fn check() {}\nfn g(_: super::d::Found) {}\n"),
    ]
    .into_iter()
    .map(|(f, s)| (f.to_string(), s.to_string()))
    .collect();
    assert_eq!(
        file_circles(&sources),
        ["k: a ↔ b", "m: mod ↔ x", "p: d ↔ v"]
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

/// The index of the `}` closing the `{` at `open` (or the end of `src`),
/// skipping strings and character literals that hold braces.
fn closing_brace(src: &str, open: usize) -> usize {
    let bytes = src.as_bytes();
    let (mut depth, mut i, mut in_str) = (0usize, open, false);
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
    i
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
        let end = closing_brace(src, start + open);
        out.push((name, line_of(start), line_of(end) - line_of(start) + 1));
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

#[test]
fn no_file_in_src_is_longer_than_the_limit() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            let rel = f.strip_prefix(root()).unwrap().display().to_string();
            (lines > MAX_FILE_LINES).then(|| format!("{rel}: {lines} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

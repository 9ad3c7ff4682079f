//! No dead links in the documentation: every relative link in a Markdown
//! file of the repository (`[text](path)`, `[text](path#anchor)`,
//! `[text](#anchor)`, and `[label]: path` definitions) names a file or
//! directory inside the repository, and every anchor into a Markdown file
//! names one of its headings, by GitHub's rules for heading ids.
//!
//! Links with a scheme (`https:`, `mailto:`) are not followed. Links inside
//! code (fenced blocks and `code spans`) are not links.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::util::Workdir;

/// Directories never searched for Markdown: build output and runs, and
/// fuzzing state; hidden directories (`.git`, virtual environments) too.
const SKIP_DIRS: &[&str] = &[
    "target",
    "runs",
    "out",
    "corpus",
    "artifacts",
    "coverage",
    "node_modules",
    "__pycache__",
];

/// A link whose target does not exist, at a 1-based line of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeadLink {
    line: usize,
    target: String,
    why: String,
}

/// Every `*.md` file under `dir`, outside the skipped directories, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
                    walk(&path, found);
                }
            } else if kind.is_file() && name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(root, &mut found);
    found.sort();
    found
}

/// The text with everything that is code blanked out (fenced blocks and
/// code spans become spaces; newlines are kept, so offsets keep their
/// lines). A code span may cross lines within a paragraph; a backtick run
/// without its closing run is literal.
fn mask_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<String> = None;
    let mut paragraph = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let opens = marker.len() >= 3 && marker.chars().all(|c| c == marker.as_bytes()[0] as char);
        match &fence {
            Some(open) => {
                if opens
                    && marker.starts_with(open.as_str())
                    && trimmed[marker.len()..].trim().is_empty()
                {
                    fence = None;
                }
                out.push_str(&blank(line));
                continue;
            }
            None if opens => {
                out.push_str(&mask_spans(&std::mem::take(&mut paragraph)));
                fence = Some(marker);
                out.push_str(&blank(line));
                continue;
            }
            None => {}
        }
        paragraph.push_str(line);
        if line.trim().is_empty() {
            out.push_str(&mask_spans(&std::mem::take(&mut paragraph)));
        }
    }
    out.push_str(&mask_spans(&paragraph));
    out
}

/// Spaces for every character but newlines.
fn blank(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect()
}

/// One paragraph with its code spans blanked out.
fn mask_spans(par: &str) -> String {
    let chars: Vec<char> = par.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(par.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        // The closing run: the next run of exactly n backticks.
        let mut j = i + n;
        let close = loop {
            if j >= chars.len() {
                break None;
            }
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    break Some(j);
                }
                j += m;
            } else {
                j += 1;
            }
        };
        match close {
            Some(j) => {
                out.push_str(&blank(&chars[i..j + n].iter().collect::<String>()));
                i = j + n;
            }
            None => {
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// Each link target in (masked) text, with its 1-based line: the `(...)`
/// after `]`, and the target of a `[label]: target` definition.
fn link_targets(masked: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in masked.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let target = if let Some(inner) = after.strip_prefix('<') {
                inner.split('>').next().unwrap_or("").to_string()
            } else {
                let mut depth = 0usize;
                after
                    .chars()
                    .take_while(|&c| match c {
                        '(' => {
                            depth += 1;
                            true
                        }
                        ')' if depth == 0 => false,
                        ')' => {
                            depth -= 1;
                            true
                        }
                        c => !c.is_whitespace(),
                    })
                    .collect()
            };
            found.push((n + 1, target));
            rest = after;
        }
        let t = line.trim_start();
        if line.len() - t.len() <= 3 && t.starts_with('[') {
            if let Some((label, def)) = t[1..].split_once("]:") {
                if !label.is_empty() && !label.contains(']') {
                    if let Some(target) = def.split_whitespace().next() {
                        found.push((n + 1, target.trim_matches(['<', '>']).to_string()));
                    }
                }
            }
        }
    }
    found
}

/// The ids GitHub gives a Markdown file's headings: the heading's text as
/// rendered (code spans and emphasis marks dropped, a link's text kept),
/// lower-cased, every character but letters, digits, `_`, `-` and spaces
/// removed, spaces turned into `-`; a repeated id gets `-1`, `-2`, ...
fn heading_ids(text: &str) -> BTreeSet<String> {
    let masked_fences = mask_fences_only(text);
    let mut ids = BTreeSet::new();
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    for line in masked_fences.lines() {
        let t = line.trim_start();
        if line.len() - t.len() > 3 {
            continue;
        }
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 {
            continue;
        }
        let rest = &t[hashes..];
        if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
            continue;
        }
        let title = rest.trim();
        // A closing run of `#` goes, when a space sets it apart.
        let unclosed = title.trim_end_matches('#');
        let title = if unclosed.is_empty() || unclosed.ends_with(' ') {
            unclosed.trim_end()
        } else {
            title
        };
        let base = slug(&rendered(title));
        let id = match seen.get(&base) {
            None => base.clone(),
            Some(k) => format!("{base}-{k}"),
        };
        *seen.entry(base).or_insert(0) += 1;
        ids.insert(id);
    }
    ids
}

/// The text with fenced code blocks blanked, code spans kept (a heading's
/// code span is part of its id).
fn mask_fences_only(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<char> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let opener = ['`', '~']
            .into_iter()
            .find(|&c| t.starts_with(&c.to_string().repeat(3)));
        match (fence, opener) {
            (Some(f), Some(o)) if f == o => fence = None,
            (Some(_), _) => {}
            (None, Some(o)) => fence = Some(o),
            (None, None) => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A heading's text as GitHub renders it: `[text](url)` becomes `text`,
/// and backticks and `*` emphasis marks are dropped.
fn rendered(title: &str) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](") else {
            break;
        };
        let Some(close) = rest[open + mid..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..open + mid]);
        rest = &rest[open + mid + close + 1..];
    }
    out.push_str(rest);
    out.chars().filter(|&c| c != '`' && c != '*').collect()
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// `%XX` escapes decoded (a link may escape spaces or non-ASCII).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` with `.` and `..` resolved lexically; `None` if it climbs out.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// The dead links of `text`, the Markdown file at `file` (relative to
/// `root`, the repository): targets missing, outside `root`, or anchors
/// that are no heading of their Markdown target.
fn dead_links(root: &Path, file: &Path, text: &str) -> Vec<DeadLink> {
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut dead = Vec::new();
    for (line, target) in link_targets(&mask_code(text)) {
        let scheme = target
            .split(['/', '#', '?'])
            .next()
            .is_some_and(|head| head.contains(':'));
        if target.is_empty() || scheme {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (percent_decode(p), Some(percent_decode(a))),
            None => (percent_decode(&target), None),
        };
        let mut report = |why: String| {
            dead.push(DeadLink {
                line,
                target: target.clone(),
                why,
            })
        };
        let resolved = if path.is_empty() {
            Some(file.to_path_buf())
        } else if path.starts_with('/') {
            report("an absolute path: link relative to this file".into());
            continue;
        } else {
            normalise(&dir.join(&path))
        };
        let Some(resolved) = resolved else {
            report("leaves the repository".into());
            continue;
        };
        let full = root.join(&resolved);
        if !full.exists() {
            report(format!("no such file: {}", resolved.display()));
            continue;
        }
        if let (Some(anchor), true) = (anchor, resolved.extension().is_some_and(|e| e == "md")) {
            let target_text = if path.is_empty() {
                text.to_string()
            } else {
                std::fs::read_to_string(&full).unwrap_or_default()
            };
            if !heading_ids(&target_text).contains(&anchor) {
                report(format!("no heading #{anchor} in {}", resolved.display()));
            }
        }
    }
    dead
}

#[test]
fn every_relative_link_in_the_repository_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = markdown_files(root);
    let rel: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    for must in ["README.md", "docs/data-contract.md", "BENCHMARKS.md"] {
        assert!(
            rel.iter().any(|r| r == Path::new(must)),
            "{must} not found among {rel:?}"
        );
    }
    let mut links = 0;
    let mut problems = Vec::new();
    for (full, file) in files.iter().zip(&rel) {
        let text = std::fs::read_to_string(full).unwrap();
        links += link_targets(&mask_code(&text)).len();
        for d in dead_links(root, file, &text) {
            problems.push(format!(
                "{}:{}: ({}) {}",
                file.display(),
                d.line,
                d.target,
                d.why
            ));
        }
    }
    assert!(
        links >= 20,
        "only {links} links found in {} files",
        files.len()
    );
    assert!(problems.is_empty(), "dead links:\n{}", problems.join("\n"));
}

#[test]
fn a_planted_dead_link_or_anchor_is_reported_at_its_line() {
    let wd = Workdir::new("doc_links");
    wd.write(
        "docs/guide.md",
        "# Guide\n\n## `account_history` — optional (v1.1)\n\n## Setup\n\n## Setup\n",
    );
    wd.write("README.md", "");
    let text = "\
# Top

See [the guide](docs/guide.md), [history](docs/guide.md#account_history--optional-v11),
[setup again](docs/guide.md#setup-1) and [the top](#top); [a folder](docs/).
[gone](docs/missing.md) and [a bad anchor](docs/guide.md#no-such-heading)
and [up and out](../../elsewhere.md) and [web](https://example.com/x.md).
`[in code](nowhere.md)` and

```md
[in a fence](nowhere.md)
```

[ref]: docs/also-missing.md
[mail](mailto:someone@example.com) [here, badly](#nope)
";
    let dead = dead_links(&wd.root, Path::new("README.md"), text);
    let got: Vec<(usize, &str)> = dead.iter().map(|d| (d.line, d.target.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (5, "docs/missing.md"),
            (5, "docs/guide.md#no-such-heading"),
            (6, "../../elsewhere.md"),
            (13, "docs/also-missing.md"),
            (14, "#nope"),
        ],
        "{dead:#?}"
    );
    assert!(dead[0].why.contains("no such file"), "{dead:#?}");
    assert!(
        dead[1].why.contains("no heading #no-such-heading"),
        "{dead:#?}"
    );
    assert!(dead[2].why.contains("leaves the repository"), "{dead:#?}");
}

#[test]
fn heading_ids_follow_githubs_rules() {
    let text = "\
# Data contract
## `report.json` — the sections a scheduler can rely on
### P(win ≤ t days)
### Won / closed beside P(win ≤ 90 d)
## Roles: fit, signal, relationship
## [Linked](x.md) *heading* ##
## Setup
## Setup
```
# not a heading
```
";
    let ids = heading_ids(text);
    let want = [
        "data-contract",
        "reportjson--the-sections-a-scheduler-can-rely-on",
        "pwin--t-days",
        "won--closed-beside-pwin--90-d",
        "roles-fit-signal-relationship",
        "linked-heading",
        "setup",
        "setup-1",
    ];
    assert_eq!(ids, want.iter().map(|s| s.to_string()).collect());
}

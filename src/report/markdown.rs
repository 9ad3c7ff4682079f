//! `report.md`: the review of [`story`](super::story) in prose and tables.

use std::fmt::Write;

use super::story::{self, Block, Table};
use super::Report;

// The formatting helpers, where they have always been imported from.
pub use super::format::{days, interval, money, p_text, pct};

/// Render `report.md`.
pub fn render(r: &Report) -> String {
    let mut s = format!("# {}\n\n", story::title(r));
    for section in story::sections(r) {
        if let Some(title) = section.title {
            let _ = writeln!(s, "## {title}\n");
        }
        for b in &section.blocks {
            block(&mut s, b);
        }
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table(s: &mut String, t: &Table) {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    s.push_str(&row(&t.header));
    let _ = writeln!(s, "|{}", "---|".repeat(t.header.len()));
    for r in &t.rows {
        s.push_str(&row(r));
    }
    s.push('\n');
}

fn block(s: &mut String, b: &Block) {
    match b {
        Block::Para(p) => {
            let _ = writeln!(s, "{p}\n");
        }
        Block::List(items) => {
            for i in items {
                let _ = writeln!(s, "- {i}");
            }
            s.push('\n');
        }
        Block::Labelled(items) => {
            for (lead, text) in items {
                let _ = writeln!(s, "- **{lead}**: {text}");
            }
            s.push('\n');
        }
        Block::Table(t) => table(s, t),
        Block::Figure { chart, table: t } => {
            let _ = writeln!(s, "*{}*\n", chart.title());
            table(s, t);
        }
        Block::NotComputed(reason) => {
            let _ = writeln!(s, "Not computed: {reason}.\n");
        }
        Block::Subheading(h) => {
            let _ = writeln!(s, "### {h}\n");
        }
        Block::Columns(cols) => {
            for b in cols.iter().flatten() {
                block(s, b);
            }
        }
        Block::Folded { blocks, .. } => {
            for b in blocks {
                block(s, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_md_opens_with_the_findings_in_full_and_folds_nothing() {
        let md = render(&crate::report::story::tests::fixture::report());
        let top = "# Segment review as of 2026-09-30\n\n\
                   - Tier 1 converts worse than Tier 2: 10.0% vs 30.0% of closed deals won, \
                   70 and 200 deals from 30 and 60 accounts (difference -20.0 points).\n\
                   - Best segment: S3 (core ICP) wins 50.0% of 100 closed deals.\n\n\
                   600 accounts and 1000 deals read; 990 deals used. k = 2 segments \
                   (k = 2 has the highest silhouette).\n\n## Segments\n\n";
        assert!(md.starts_with(top), "{md}");
        assert!(!md.contains("findings in full"), "{md}");
        assert!(!md.contains("first-screen") && !md.contains('<'), "{md}");
    }
}

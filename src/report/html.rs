//! `report.html`: the review of [`story`](super::story) as one
//! self-contained page with inline SVG charts and CSS. It opens with the
//! [first screen](super::story::first_screen), sized to fit a 1280×800
//! window under the title: three one-line findings over a chart and a short
//! table of the segments.
//!
//! The page opens from disk and makes no request: no scripts, fonts,
//! stylesheets or images are loaded, and a Content-Security-Policy meta tag
//! (`default-src 'none'`) makes the browser refuse any that slip in.

use std::fmt::Write;

use super::chart::esc;
use super::story::{self, Block, Table};
use super::Report;

/// Forbids every fetch; inline styles stay allowed.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS: &str = r#"
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 8px 0 16px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-top: 12px; border-top: 1px solid #ddd; }
h3 { font-size: 16px; margin: 20px 0 8px; }
nav { font-size: 13px; margin-bottom: 8px; }
nav a { color: #0b5394; margin-right: 12px; text-decoration: none; }
#findings ul { font-size: 16px; padding-left: 20px; }
#findings li { margin: 6px 0; }
#findings > details { font-size: 15px; margin-top: 16px; }
#findings > details > summary { font-size: 14px; }
#first-screen ul.lines { list-style: none; padding: 0; margin: 0 0 18px; font-size: 15px; }
#first-screen ul.lines li { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; margin: 0 0 6px; padding: 5px 10px; background: #f4f7fa; border-left: 4px solid #0072B2; }
#first-screen ul.lines strong { display: inline-block; width: 8.4em; }
#first-screen .glance { display: grid; gap: 28px; align-items: start; }
#first-screen figure { margin: 0; }
#first-screen .table-wrap { margin: 0; }
#first-screen td { white-space: nowrap; }
@media (max-width: 1100px) { #first-screen .glance { grid-template-columns: minmax(0, 1fr); } }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f3f3; padding: 0 3px; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { text-align: left; background: #f6f6f6; font-weight: 600; }
td:not(:first-child), th:not(:first-child) { text-align: right; }
td.words, th.words { text-align: left; }
figure { margin: 12px 0 20px; }
details { margin-top: 4px; font-size: 13px; }
summary { cursor: pointer; color: #444; }
.not-computed { color: #6a6a6a; background: #f7f7f7; border-left: 4px solid #c8c8c8; padding: 8px 12px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 24px; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg.chart text { font-size: 12px; fill: #222; font-family: inherit; }
svg.chart .chart-title { font-size: 14px; font-weight: 600; }
svg.chart .x-label, svg.chart .y-label { font-weight: 600; fill: #333; }
svg.chart .tick, svg.chart .mark-label { fill: #555; font-size: 11px; }
svg.chart .grid { stroke: #e8e8e8; }
svg.chart .axis { stroke: #555; }
svg.chart .whisker { stroke: #1a1a1a; stroke-width: 1.5; fill: none; }
svg.chart .dot-whisker { stroke-width: 1.5; fill: none; }
svg.chart .reference { stroke: #D55E00; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg.chart .reference-label { fill: #D55E00; font-size: 11px; }
svg.chart .mark { stroke: #bdbdbd; stroke-dasharray: 2 3; }
svg.chart .step { fill: none; stroke-width: 2.5; }
svg.chart .line { fill: none; stroke-width: 2; }
svg.chart .highlight { fill: none; stroke-width: 2; }
svg.chart .highlight-label { fill: #D55E00; font-weight: 600; }
"#;

/// Render `report.html`.
pub fn render(r: &Report) -> String {
    let title = story::title(r);
    let sections = story::sections(r);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n<title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<nav>",
        r.run.tool,
        r.run.tool_version,
        esc(&title),
        first_screen_columns(),
        esc(&title)
    );
    for sec in &sections {
        if let Some(t) = sec.title {
            let _ = write!(s, "<a href=\"#{}\">{}</a>", sec.id, esc(t));
        }
    }
    s.push_str("</nav>\n");
    first_screen(&mut s, &story::first_screen(r));
    for sec in &sections {
        let _ = writeln!(s, "<section id=\"{}\">", sec.id);
        if let Some(t) = sec.title {
            let _ = writeln!(s, "<h2>{}</h2>", esc(t));
        }
        for b in &sec.blocks {
            block(&mut s, b);
        }
        s.push_str("</section>\n");
    }
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// The first screen's chart column, as wide as the chart is drawn; the
/// table takes the rest.
fn first_screen_columns() -> String {
    format!(
        "@media (min-width: 1101px) {{ #first-screen .glance {{ grid-template-columns: {}px minmax(0, 1fr); }} }}\n",
        story::first_screen::CHART_WIDTH
    )
}

/// The first screen: the findings in one line each (the whole line in its
/// tooltip, should the window cut it), then the chart beside the table.
fn first_screen(s: &mut String, f: &story::FirstScreen) {
    s.push_str("<section id=\"first-screen\">\n<ul class=\"lines\">\n");
    for l in &f.lines {
        let _ = writeln!(
            s,
            "<li id=\"{}\" title=\"{}: {}\"><strong>{}</strong>{}</li>",
            l.id,
            esc(l.lead),
            esc(&l.text),
            esc(l.lead),
            inline(&l.text)
        );
    }
    s.push_str("</ul>\n<div class=\"glance\">\n");
    if let Some(chart) = &f.chart {
        let _ = writeln!(s, "<figure>{}</figure>", chart.svg());
    }
    s.push_str("<div>\n");
    table(s, &f.table);
    s.push_str("</div>\n</div>\n</section>\n");
}

/// Escaped text, with `code` spans.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(text).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Whether a cell reads as a figure ("63.5%", "1.70×", "39 d", "–"), which
/// is aligned right; words are aligned left.
fn figure(cell: &str) -> bool {
    cell == super::format::NONE
        || cell.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '<' | '.'))
}

fn table(s: &mut String, t: &Table) {
    // The first column names the row; the others are figures unless a cell says otherwise.
    let words: Vec<bool> = (0..t.header.len())
        .map(|j| j > 0 && t.rows.iter().any(|r| r.get(j).is_some_and(|c| !figure(c))))
        .collect();
    let class = |j: usize| {
        if words.get(j) == Some(&true) {
            " class=\"words\""
        } else {
            ""
        }
    };
    s.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
    for (j, h) in t.header.iter().enumerate() {
        let _ = write!(s, "<th{}>{}</th>", class(j), inline(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        s.push_str("<tr>");
        for (j, c) in row.iter().enumerate() {
            let _ = write!(s, "<td{}>{}</td>", class(j), inline(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div>\n");
}

fn block(s: &mut String, b: &Block) {
    match b {
        Block::Para(p) => {
            let _ = writeln!(s, "<p>{}</p>", inline(p));
        }
        Block::List(items) => {
            s.push_str("<ul>\n");
            for i in items {
                let _ = writeln!(s, "<li>{}</li>", inline(i));
            }
            s.push_str("</ul>\n");
        }
        Block::Labelled(items) => {
            s.push_str("<ul>\n");
            for (lead, text) in items {
                let _ = writeln!(
                    s,
                    "<li><strong>{}</strong>: {}</li>",
                    inline(lead),
                    inline(text)
                );
            }
            s.push_str("</ul>\n");
        }
        Block::Table(t) => table(s, t),
        Block::Figure { chart, table: t } => {
            s.push_str("<figure>\n");
            s.push_str(&chart.svg());
            s.push_str("\n<details><summary>The figures in this chart</summary>\n");
            table(s, t);
            s.push_str("</details>\n</figure>\n");
        }
        Block::NotComputed(reason) => {
            let _ = writeln!(
                s,
                "<p class=\"not-computed\">Not computed: {}.</p>",
                inline(reason)
            );
        }
        Block::Subheading(h) => {
            let _ = writeln!(s, "<h3>{}</h3>", inline(h));
        }
        Block::Folded { summary, blocks } => {
            let _ = writeln!(s, "<details><summary>{}</summary>", inline(summary));
            for b in blocks {
                block(s, b);
            }
            s.push_str("</details>\n");
        }
        Block::Columns(cols) => {
            s.push_str("<div class=\"columns\">\n");
            for col in cols {
                s.push_str("<div>\n");
                for b in col {
                    block(s, b);
                }
                s.push_str("</div>\n");
            }
            s.push_str("</div>\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_of_words_are_aligned_left_and_figures_right() {
        let t = Table {
            header: vec![
                "tier".into(),
                "win rate".into(),
                "why".into(),
                "lift".into(),
            ],
            rows: vec![
                vec![
                    "Tier 1".into(),
                    "63.5%".into(),
                    "entered".into(),
                    "1.70×".into(),
                ],
                vec![
                    "Tier 2".into(),
                    "–".into(),
                    "12 moved".into(),
                    "-0.2".into(),
                ],
            ],
        };
        let mut s = String::new();
        table(&mut s, &t);
        assert!(s.contains("<th>win rate</th><th class=\"words\">why</th><th>lift</th>"));
        assert!(s.contains("<td>63.5%</td><td class=\"words\">entered</td><td>1.70×</td>"));
        assert!(s.contains("<td>–</td><td class=\"words\">12 moved</td>"));
        assert!(
            s.contains("<th>tier</th>"),
            "the first column keeps its own rule"
        );
    }

    #[test]
    fn the_page_opens_with_the_first_screen_and_folds_the_findings_in_full() {
        let html = render(&crate::report::story::tests::fixture::report());
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("no {needle:?} in {html}"))
        };
        let (first, findings) = (
            at("<section id=\"first-screen\">"),
            at("<section id=\"findings\">"),
        );
        assert!(at("</nav>") < first && first < findings);
        let screen = &html[first..findings];
        let mut last = 0;
        for part in [
            "<li id=\"first-verdict\" title=\"Verdict: Tier 1 converts worse than Tier 2: 10.0% vs 30.0%",
            "<strong>Verdict</strong>Tier 1 converts worse than Tier 2",
            "<li id=\"first-best-segment\"",
            "<li id=\"first-icp\"",
            "<svg class=\"chart\"",
            "<table>",
        ] {
            let i = screen
                .find(part)
                .unwrap_or_else(|| panic!("{part:?} missing or out of order in {screen}"));
            assert!(i >= last, "{part:?} out of order in {screen}");
            last = i;
        }
        assert_eq!(
            at("<svg"),
            first + screen.find("<svg").unwrap(),
            "the first chart"
        );
        assert!(
            html[findings..].starts_with(
                "<section id=\"findings\">\n<details><summary>The findings in full</summary>\n<ul>\n<li>Tier 1 converts worse"
            ),
            "{}",
            &html[findings..]
        );
        assert!(html.contains("grid-template-columns: 500px minmax(0, 1fr)"));
    }
}

//! What the review says, on the small report of [`fixture`]: the words and
//! figures each section and the first screen carry.

pub mod fixture;

use super::*;
use crate::report::chart::Chart;
use crate::report::Section as Computed;
use fixture::{report, ICP_RULE, NO_PREVIOUS, TIERS_NOT_COMPUTED};

fn section<'a>(sections: &'a [Section], id: &str) -> &'a [Block] {
    &sections
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no section {id}"))
        .blocks
}

fn first_table(blocks: &[Block]) -> &Table {
    blocks
        .iter()
        .find_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .expect("a table")
}

/// The cell of `row` under the column headed `column`.
fn cell<'a>(t: &'a Table, row: usize, column: &str) -> &'a str {
    let j = (t.header.iter().position(|h| h == column))
        .unwrap_or_else(|| panic!("no column {column:?} in {:?}", t.header));
    &t.rows[row][j]
}

#[test]
fn sections_come_in_reading_order_and_only_the_first_has_no_title() {
    let s = sections(&report());
    let ids: Vec<&str> = s.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            "findings",
            "segments",
            "win-rate",
            "time-to-win",
            "tiers",
            "readiness",
            "drivers",
            "icp",
            "since-previous",
            "choosing-k",
            "data-quality",
            "run"
        ]
    );
    assert!(s[0].title.is_none());
    assert!(s[1..].iter().all(|s| s.title.is_some()));
    assert_eq!(title(&report()), "Segment review as of 2026-09-30");
}

#[test]
fn the_findings_hold_every_headline_in_full_under_a_fold() {
    let r = report();
    let s = sections(&r);
    let [Block::Folded { summary, blocks }] = section(&s, "findings") else {
        panic!("the findings are not one folded part");
    };
    assert_eq!(summary, "The findings in full");
    assert!(matches!(&blocks[0], Block::List(h) if *h == r.headlines));
    assert!(
        matches!(&blocks[1], Block::Para(p) if p.starts_with("600 accounts and 1000 deals read; 990 deals used. k = 2 segments (k = 2 has the highest silhouette)")),
        "{:?}",
        blocks[1]
    );
}

#[test]
fn the_segment_table_has_a_row_per_segment_with_its_win_rate_interval_and_horizons() {
    let s = sections(&report());
    let t = first_table(section(&s, "segments"));
    assert_eq!(t.header.len(), 14, "{:?}", t.header);
    assert_eq!(t.rows.len(), 3);
    assert_eq!(cell(t, 0, "segment"), "S1 with HubSpot");
    assert_eq!(cell(t, 0, "accounts"), "300");
    assert_eq!(cell(t, 0, "closed deals"), "300");
    assert_eq!(cell(t, 0, "win rate"), "20.0%");
    assert_eq!(cell(t, 0, "95% interval"), "17.0–23.4%");
    assert_eq!(cell(t, 0, "lift"), "0.68×");
    assert_eq!(cell(t, 0, "P(win ≤ 90 d)"), "16.2%");
    assert_eq!(cell(t, 0, "P(win ≤ 30 d)"), "–", "no such horizon");
    assert_eq!(cell(t, 2, "value per account per quarter"), "5118");
    assert_eq!(cell(t, 2, "win rate"), "50.0%");
}

#[test]
fn the_win_rate_chart_draws_each_segment_against_the_overall_rate() {
    let s = sections(&report());
    let Some(Block::Figure {
        chart: Chart::Bars(b),
        table,
    }) = section(&s, "win-rate").get(1)
    else {
        panic!("no win rate chart");
    };
    let labels: Vec<&str> = b.bars.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(
        labels[..2],
        [
            "S1 with HubSpot",
            "S2 with Salesforce, without HubSpot, with SAP"
        ]
    );
    assert_eq!(b.bars[0].interval.map(|i| i.hi), Some(0.234));
    let overall = b.reference.as_ref().expect("the overall win rate");
    assert_eq!(overall.label, "overall 29.3%");
    assert_eq!(cell(table, 1, "win rate"), "33.0%");
}

#[test]
fn a_section_the_run_did_not_compute_gives_its_reason() {
    let s = sections(&report());
    for (id, reason) in [
        ("readiness", TIERS_NOT_COMPUTED),
        ("since-previous", NO_PREVIOUS),
        ("drivers", "fewer than 30 closed deals"),
    ] {
        assert!(
            matches!(section(&s, id), [Block::NotComputed(r)] if r == reason),
            "{id}: {:?}",
            section(&s, id)
        );
    }
    // The speed test is missing, the time-to-win chart is not.
    let ttw = section(&s, "time-to-win");
    assert!(matches!(ttw.last(), Some(Block::NotComputed(r)) if r.starts_with("fewer than two")));
}

#[test]
fn current_tiers_give_their_verdict_beside_recommended_tiers_not_computed() {
    let r = report();
    let s = sections(&r);
    let [Block::Columns(cols)] = section(&s, "tiers") else {
        panic!("tiers are not side by side");
    };
    let verdict = format!("{}.", r.current_tiers.computed().unwrap().verdict);
    assert!(cols[0]
        .iter()
        .any(|b| matches!(b, Block::Para(p) if *p == verdict)));
    assert!(cols[0].iter().any(
        |b| matches!(b, Block::Figure { chart, .. } if chart.title() == "Win rate per current tier")
    ));
    assert!(
        matches!(&cols[1][..], [Block::Subheading(_), Block::NotComputed(reason)] if reason == TIERS_NOT_COMPUTED)
    );
}

#[test]
fn the_icp_section_gives_its_accounts_and_win_rates_with_interval() {
    let mut r = report();
    if let Computed::Computed(icp) = &mut r.icp {
        icp.in_icp.win_rate_interval = fixture::iv(0.42, 0.62);
    }
    let s = sections(&r);
    let Block::Para(p) = &section(&s, "icp")[0] else {
        panic!("no ICP sentence");
    };
    assert!(
        p.contains("100 accounts are in the ICP (the core ICP: every qualifying and no disqualifying criterion); their deals win 52.0% (42.0–62.0%), the rest 24.8%."),
        "{p}"
    );
}

#[test]
fn the_first_screen_names_the_verdict_the_best_segment_and_the_icp_in_one_line_each() {
    let f = first_screen(&report());
    let texts: Vec<&str> = f.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Tier 1 converts worse than Tier 2: 10.0% vs 30.0% of closed deals won (p = 2.09e-4); P(win ≤ 90 d) 5.0% vs 21.0%.",
            "S3 core ICP: technologies con… wins 50.0% (42.0–58.0%), 1.70× the overall 29.3%; held out 46.5% vs 22.5%, p = 0.0062",
            &format!("100 accounts win 52.0%, the rest 24.8%: {ICP_RULE}"),
        ]
    );
    let leads: Vec<&str> = f.lines.iter().map(|l| l.lead).collect();
    assert_eq!(leads, ["Verdict", "Best segment", "ICP"]);
    assert!(f.lines.iter().all(|l| !l.text.contains('\n')));
}

#[test]
fn the_best_segment_line_follows_the_held_out_test() {
    let mut r = report();
    r.clustering.core_icp_segment = None;
    assert_eq!(
        first_screen(&r).lines[1].text,
        "S3 core ICP: technologies con… wins 50.0% (42.0–58.0%), 1.70× the overall 29.3%",
        "a k-means segment that beats chance has no held-out figures of its own"
    );
    r.clustering.best_segment.as_mut().unwrap().p_value = 0.4;
    assert_eq!(
        first_screen(&r).lines[1].text,
        "None beyond chance: win rates from 20.0% (S1) to 50.0% (S3); held-out permutation test, p = 0.4000."
    );
    r.clustering.best_segment = None;
    assert!(first_screen(&r).lines[1]
        .text
        .starts_with("Win rates could not be compared"));
}

#[test]
fn the_verdict_line_says_how_the_first_two_tiers_compare() {
    use crate::verdict::PairVerdict;
    let line = |verdict: PairVerdict| {
        let mut r = report();
        if let Computed::Computed(ct) = &mut r.current_tiers {
            ct.comparisons[0].verdict = verdict;
            ct.comparisons[0].verdict_text = "Tier 1 vs Tier 2: cannot compare".into();
        }
        first_screen(&r).lines[0].text.clone()
    };
    let figures =
        ": 10.0% vs 30.0% of closed deals won (p = 2.09e-4); P(win ≤ 90 d) 5.0% vs 21.0%.";
    assert_eq!(
        line(PairVerdict::InOrder),
        format!("Tier 1 out-converts Tier 2{figures}")
    );
    assert_eq!(
        line(PairVerdict::NoSignificantDifference),
        format!("Tier 1 and Tier 2 do not differ significantly{figures}")
    );
    assert_eq!(
        line(PairVerdict::NotComputed),
        "Tier 1 vs Tier 2: cannot compare."
    );
}

#[test]
fn first_screen_lines_of_sections_not_computed_say_why() {
    let mut r = report();
    r.current_tiers = Computed::not_computed("the accounts have no tier column");
    r.icp = Computed::not_computed("no rule beats the overall win rate");
    let f = first_screen(&r);
    assert_eq!(
        f.lines[0].text,
        "Current tiers were not judged: the accounts have no tier column."
    );
    assert_eq!(
        f.lines[2].text,
        "Not computed: no rule beats the overall win rate."
    );
}

#[test]
fn the_first_screen_charts_and_tables_every_segment_with_both_measures() {
    let f = first_screen(&report());
    let Some(Chart::Dots(d)) = &f.chart else {
        panic!("no chart of the segments");
    };
    assert_eq!(d.measures, ["win rate (closed deals won)", "P(win ≤ 90 d)"]);
    assert_eq!(d.rows.len(), 3);
    let s3 = &d.rows[2];
    assert!(s3.label.starts_with("S3 core ICP"));
    let (win, p90) = (s3.dots[0].unwrap(), s3.dots[1].unwrap());
    assert_eq!((win.value, win.interval.map(|i| i.lo)), (0.5, Some(0.42)));
    assert_eq!((p90.value, p90.interval.map(|i| i.hi)), (0.445, Some(0.52)));
    assert_eq!(d.reference.as_ref().unwrap().label, "overall 29.3%");

    let t = &f.table;
    assert_eq!(
        t.header,
        [
            "segment",
            "accounts",
            "win rate (95% interval)",
            "P(win ≤ 90 d)",
            "value per account per quarter"
        ]
    );
    assert_eq!(
        t.rows[2],
        [
            "S3 core ICP: technologies con…",
            "100",
            "50.0% (42.0–58.0%)",
            "44.5%",
            "5118"
        ]
    );
    assert_eq!(t.rows.len(), 3);
}

#[test]
fn without_any_rate_the_first_screen_has_no_chart() {
    let mut r = report();
    for s in &mut r.segments {
        s.outcomes = fixture::outcomes(s.outcomes.accounts, 0, 0);
    }
    let f = first_screen(&r);
    assert!(f.chart.is_none());
    assert_eq!(f.table.rows[0][2], "– (–)");
}

//! The first screen of `report.html`, for a review that looks before it
//! reads: the verdict on the current tiers, the best segment and the ICP in
//! one line each, a chart of every segment's win rate and P(win ≤ 90 d)
//! with their intervals, and a short table of the segments. The findings
//! in full follow it.
//!
//! Each line is the short form of a headline, from the same figures of the
//! [`Report`]; the best segment is the headline's ([`best_segment`]).

use super::blocks::{interval_label, overall_reference, overall_win_rate, Table};
use crate::outcomes::OutcomeFigures;
use crate::report::chart::{Chart, Dot, DotRow, Dots, Frame};
use crate::report::format::{cut, horizon, lift, money, p_text, pct, rate_interval};
use crate::report::headlines::{best_segment, tiers_not_judged, BestSegment, NOT_COMPARED};
use crate::report::{Report, Section as Computed, SegmentReport};
use crate::verdict::{PairVerdict, LEAD_HORIZON_DAYS};

/// Width of the chart, in pixels: the column the page sets aside for it.
pub const CHART_WIDTH: f64 = 500.0;
/// Longest segment label ("S8 core ICP: …") in the best segment's line and
/// the short table; the full names are in the segments table below.
const LABEL: usize = 30;

/// The first screen.
#[derive(Debug, Clone)]
pub struct FirstScreen {
    /// The verdict, the best segment and the ICP.
    pub lines: [Finding; 3],
    /// Each segment's win rate and P(win ≤ 90 d), with intervals; `None`
    /// when no segment has either.
    pub chart: Option<Chart>,
    /// Each segment's accounts, win rate with interval, P(win ≤ 90 d) and
    /// value per account per quarter.
    pub table: Table,
}

/// One finding in one line.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Anchor for HTML.
    pub id: &'static str,
    pub lead: &'static str,
    pub text: String,
}

/// The first screen of the review of `r`.
pub fn first_screen(r: &Report) -> FirstScreen {
    FirstScreen {
        lines: [
            Finding {
                id: "first-verdict",
                lead: "Verdict",
                text: verdict_line(r),
            },
            Finding {
                id: "first-best-segment",
                lead: "Best segment",
                text: best_segment_line(r),
            },
            Finding {
                id: "first-icp",
                lead: "ICP",
                text: icp_line(r),
            },
        ],
        chart: segments_chart(r),
        table: segments_table(r),
    }
}

/// "P(win ≤ 90 d)".
fn lead_horizon() -> String {
    format!("P(win ≤ {LEAD_HORIZON_DAYS} d)")
}

/// A segment's id and name, cut to [`LABEL`] characters.
fn segment_label(s: &SegmentReport) -> String {
    cut(&format!("S{} {}", s.id, s.name), LABEL)
}

/// The current tiers' verdict: the first comparison (Tier 1 against Tier 2
/// when both are present), its win rates, Holm-adjusted p-value and
/// P(win ≤ 90 d).
fn verdict_line(r: &Report) -> String {
    let ct = match &r.current_tiers {
        Computed::Computed(ct) => ct,
        Computed::NotComputed { reason, .. } => return tiers_not_judged(reason),
    };
    let Some(c) = ct.comparisons.first() else {
        return format!("{}.", ct.verdict);
    };
    let figures = |t: u8| {
        (ct.tiers.iter())
            .find(|f| f.tier == Some(t))
            .map(|f| &f.outcomes)
    };
    let (Some(h), Some(l)) = (figures(c.higher), figures(c.lower)) else {
        return format!("{}.", c.verdict_text);
    };
    let (higher, lower) = (c.higher, c.lower);
    let lead = match c.verdict {
        PairVerdict::InOrder => format!("Tier {higher} out-converts Tier {lower}"),
        PairVerdict::Inverted => format!("Tier {higher} converts worse than Tier {lower}"),
        PairVerdict::NoSignificantDifference => {
            format!("Tier {higher} and Tier {lower} do not differ significantly")
        }
        PairVerdict::NotComputed | PairVerdict::NotYetComparable => {
            return format!("{}.", c.verdict_text)
        }
    };
    // Holm-adjusted, as in the verdict in full.
    let p = c
        .p_value_holm
        .map_or_else(String::new, |p| format!(" ({})", p_text(p)));
    // The figures the tiers were compared on.
    let (rates, measure) = match (c.horizon_days, c.on_basis.as_slice()) {
        (Some(d), [a, b]) => (
            (Some(a.estimate), Some(b.estimate)),
            format!("won within {d:.0} days"),
        ),
        _ => ((h.win_rate, l.win_rate), "of closed deals won".to_string()),
    };
    format!(
        "{lead}: {} vs {} {measure}{p}; {} {} vs {}.",
        pct(rates.0),
        pct(rates.1),
        lead_horizon(),
        horizon(h, LEAD_HORIZON_DAYS),
        horizon(l, LEAD_HORIZON_DAYS),
    )
}

/// "S8 core ICP: technologies cont… wins 50.5% (45.2–55.8%), 1.94× the
/// overall 26.1%; held out …", or why no segment stands out.
fn best_segment_line(r: &Report) -> String {
    let lead = |s: &SegmentReport| {
        let o = &s.outcomes;
        format!(
            "{} wins {}, {} the overall {}",
            segment_label(s),
            rate_interval(o.win_rate, o.win_rate_interval),
            lift(s.lift),
            pct(overall_win_rate(r)),
        )
    };
    match best_segment(&r.clustering, &r.segments, r.run.parameters.confidence) {
        BestSegment::Carved(s, c) => format!(
            "{}; held out {} vs {}, {}",
            lead(s),
            pct(Some(c.held_out.win_rate)),
            pct(Some(c.rest_held_out.win_rate)),
            p_text(c.p_value),
        ),
        BestSegment::Beats(s) => lead(s),
        BestSegment::Alike { best, worst, p } => format!(
            "None beyond chance: win rates from {} (S{}) to {} (S{}); held-out permutation test, {}.",
            pct(worst.outcomes.win_rate),
            worst.id,
            pct(best.outcomes.win_rate),
            best.id,
            p_text(p)
        ),
        BestSegment::Unknown => NOT_COMPARED.into(),
    }
}

/// "234 accounts win 51.7%, the rest 23.3%: the rule".
fn icp_line(r: &Report) -> String {
    let icp = match &r.icp {
        Computed::Computed(icp) => icp,
        Computed::NotComputed { reason, .. } => return format!("Not computed: {reason}."),
    };
    if !icp.found {
        return "no ICP found: no fit criterion beat its permutation guard".into();
    }
    format!(
        "{} accounts win {}, the rest {}: {}",
        icp.in_icp_accounts,
        pct(icp.in_icp.win_rate),
        pct(icp.outside_icp.win_rate),
        icp.core.text
    )
}

/// A group's P(win ≤ 90 d) as a mark, if 90 days is one of the horizons.
fn lead_horizon_dot(o: &OutcomeFigures) -> Option<Dot> {
    (o.time_to_win.horizons.iter())
        .find(|h| h.days == LEAD_HORIZON_DAYS)
        .map(|h| Dot {
            value: h.probability,
            interval: h.interval,
        })
}

fn segments_chart(r: &Report) -> Option<Chart> {
    let rows: Vec<DotRow> = (r.segments.iter())
        .map(|s| DotRow {
            label: format!("S{} {}", s.id, s.name),
            dots: vec![
                s.outcomes.win_rate.map(|value| Dot {
                    value,
                    interval: s.outcomes.win_rate_interval,
                }),
                lead_horizon_dot(&s.outcomes),
            ],
        })
        .filter(|row| row.dots.iter().any(Option::is_some))
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Chart::Dots(Dots {
        frame: Frame::new(
            format!("Win rate and {} per segment", lead_horizon()),
            format!("% of deals (whiskers: {})", interval_label(r)),
            "Segment",
        ),
        measures: vec!["win rate (closed deals won)".into(), lead_horizon()],
        rows,
        reference: overall_win_rate(r).map(overall_reference),
        width: CHART_WIDTH,
    }))
}

fn segments_table(r: &Report) -> Table {
    let win_rate = format!("win rate ({})", interval_label(r));
    let p90 = lead_horizon();
    let mut t = Table::new(&[
        "segment",
        "accounts",
        &win_rate,
        &p90,
        "value per account per quarter",
    ]);
    for s in &r.segments {
        let o = &s.outcomes;
        t.rows.push(vec![
            segment_label(s),
            o.accounts.to_string(),
            rate_interval(o.win_rate, o.win_rate_interval),
            horizon(o, LEAD_HORIZON_DAYS),
            money(o.velocity.value_per_account_per_quarter),
        ]);
    }
    t
}

//! The segments: their figures side by side, their win rates, how fast they
//! win, and how their number k was chosen.

use super::blocks::{
    bar, closed, interval_label, overall_reference, overall_win_rate, win_rate_axis, Block, Table,
};
use crate::report::chart::{Bars, Chart, Frame, Line, LinePoint, Reference, Series, Steps};
use crate::report::format::{days, horizon, interval, lift, money, p_text, pct, rate_interval};
use crate::report::{Report, Section as Computed};

pub(super) fn segments(r: &Report) -> Vec<Block> {
    let h = &r.run.parameters.horizons_days;
    let iv = interval_label(r);
    let mut header = vec![
        "segment",
        "accounts",
        "closed deals",
        "win rate",
        &iv,
        "lift",
    ];
    let horizons: Vec<String> = h.iter().map(|d| format!("P(win ≤ {d} d)")).collect();
    header.extend(horizons.iter().map(String::as_str));
    header.extend([
        "median days to win",
        "median cycle, won only",
        "avg won amount",
        "value per account per quarter",
        "signals and relationships",
    ]);
    let mut t = Table::new(&header);
    for seg in &r.segments {
        let o = &seg.outcomes;
        let mut row = vec![
            format!("S{} {}", seg.id, seg.name),
            o.accounts.to_string(),
            closed(o).to_string(),
            pct(o.win_rate),
            interval(o.win_rate_interval),
            lift(seg.lift),
        ];
        row.extend(h.iter().map(|&d| horizon(o, d)));
        row.extend([
            days(o.time_to_win.median_days_to_win),
            days(o.median_days_to_win_won_only),
            money(o.velocity.avg_won_amount),
            money(o.velocity.value_per_account_per_quarter),
            described(seg),
        ]);
        t.rows.push(row);
    }
    vec![
        Block::Table(t),
        Block::Para("What sets each segment apart:".into()),
        Block::Labelled(
            r.segments
                .iter()
                .map(|s| {
                    let texts: Vec<&str> =
                        s.distinguishing.iter().map(|d| d.text.as_str()).collect();
                    (format!("S{} {}", s.id, s.name), texts.join("; "))
                })
                .collect(),
        ),
    ]
}

/// A segment's signals and relationships in a few words: "62% high
/// intent_score; 18% exec_relationship", or `—` when it has none.
fn described(seg: &crate::report::SegmentReport) -> String {
    let parts: Vec<&str> = (seg.signals.iter())
        .chain(&seg.relationships)
        .map(|d| d.text.as_str())
        .collect();
    if parts.is_empty() {
        crate::report::format::NONE.into()
    } else {
        parts.join("; ")
    }
}

pub(super) fn win_rate(r: &Report) -> Vec<Block> {
    let iv = interval_label(r);
    let mut t = Table::new(&["segment", "closed deals", "win rate", &iv, "lift"]);
    let mut bars = Vec::new();
    for s in &r.segments {
        let o = &s.outcomes;
        t.rows.push(vec![
            format!("S{}", s.id),
            closed(o).to_string(),
            pct(o.win_rate),
            interval(o.win_rate_interval),
            lift(s.lift),
        ]);
        bars.extend(bar(format!("S{} {}", s.id, s.name), o));
    }
    let overall = overall_win_rate(r);
    let mut blocks = vec![Block::Para(format!(
        "Share of closed deals won (open deals are not in it), with its {iv} (Wilson score, deals of one account counted together; see the Definitions){}.",
        overall.map_or_else(String::new, |w| format!(
            "; the dashed line is the overall {}",
            pct(Some(w))
        ))
    ))];
    if bars.is_empty() {
        blocks.push(Block::NotComputed("no segment has a closed deal".into()));
        return blocks;
    }
    blocks.push(Block::Figure {
        chart: Chart::Bars(Bars {
            frame: Frame::new("Win rate per segment", win_rate_axis(&iv), "Segment"),
            bars,
            reference: overall.map(overall_reference),
            max: 0.0,
        }),
        table: t,
    });
    blocks
}

pub(super) fn time_to_win(r: &Report) -> Vec<Block> {
    let h = &r.run.parameters.horizons_days;
    let mut header = vec!["segment".to_string()];
    for d in h {
        header.push(format!("P(win ≤ {d} d)"));
        header.push(interval_label(r));
        header.push(format!("open at {d} d"));
    }
    header.push("median days to win".into());
    header.push("eventually won".into());
    let mut t = Table {
        header,
        rows: vec![],
    };
    let mut series = Vec::new();
    for s in &r.segments {
        let ttw = &s.outcomes.time_to_win;
        let mut row = vec![format!("S{}", s.id)];
        for &d in h {
            match ttw.horizons.iter().find(|p| p.days == d) {
                Some(p) => row.extend([
                    pct(Some(p.probability)),
                    interval(p.interval),
                    p.at_risk.to_string(),
                ]),
                None => row.extend(["–".into(), "–".into(), "–".into()]),
            }
        }
        row.push(days(ttw.median_days_to_win));
        row.push(pct(ttw.eventual_win_probability));
        t.rows.push(row);
        if !ttw.curve.is_empty() {
            series.push(Series {
                name: format!("S{} {}", s.id, s.name),
                points: ttw
                    .curve
                    .iter()
                    .map(|p| (f64::from(p.days), p.probability))
                    .collect(),
            });
        }
    }
    let mut blocks = vec![Block::Para(
        "The cumulative probability that a deal is won by each day after it was created \
         (Aalen–Johansen: a loss is a competing event, an open deal is censored at the as-of date). \
         A curve ends on the last day a deal of its segment was observed; \"open at\" counts the deals still open and observed then."
            .into(),
    )];
    if series.is_empty() {
        blocks.push(Block::NotComputed("no segment has a won deal".into()));
    } else {
        blocks.push(Block::Figure {
            chart: Chart::Steps(Steps {
                frame: Frame::new(
                    "Cumulative probability of a win over time, per segment",
                    "Days since the deal was created",
                    "P(won by day), %",
                ),
                series,
                marks: h.iter().map(|&d| f64::from(d)).collect(),
            }),
            table: t,
        });
    }
    blocks.extend(speed_ranking(r));
    blocks
}

/// The test of equal P(win) between segments and the ranking by it at a horizon.
fn speed_ranking(r: &Report) -> Vec<Block> {
    let mut blocks = Vec::new();
    match &r.speed {
        Computed::Computed(sp) => {
            blocks.push(Block::Para(format!(
                "Does the probability of a win within {} days differ between segments? {}: χ² = {:.2}, df = {}, {}. \
                 Ranked by that probability; two segments are not distinguishable when their difference \
                 is not significant at 5% after Holm's correction over all pairs. Medians are read at {} after creation, \
                 where every segment still has deals at risk:",
                sp.ranking_horizon_days,
                sp.test,
                sp.statistic,
                sp.df,
                p_text(sp.p_value),
                days(sp.common_horizon_days),
            )));
            blocks.push(Block::List(sp.ranking.iter().map(ranked_line).collect()));
        }
        Computed::NotComputed { reason, .. } => blocks.push(Block::NotComputed(reason.clone())),
    }
    blocks
}

/// One line of the speed ranking.
fn ranked_line(rk: &crate::report::RankedSegment) -> String {
    let tied = if rk.not_distinguishable_from.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = rk
            .not_distinguishable_from
            .iter()
            .map(|x| format!("S{x}"))
            .collect();
        format!(" (not distinguishable from {})", ids.join(", "))
    };
    let median = match rk.median_days_to_win {
        Some(m) => format!(
            "; median {} to win ({}–{})",
            days(Some(m.days)),
            days(Some(m.lo)),
            m.hi.map_or_else(|| "beyond".into(), |h| days(Some(h)))
        ),
        None => String::new(),
    };
    format!(
        "{}. S{}: {}{median}{tied}",
        rk.rank,
        rk.segment,
        rate_interval(Some(rk.probability), rk.interval)
    )
}

pub(super) fn choosing_k(r: &Report) -> Vec<Block> {
    let cl = &r.clustering;
    let mut t = Table::new(&[
        "k",
        "silhouette",
        "inertia per account",
        "smallest segment",
        "meets minimum size",
    ]);
    for c in &cl.candidates {
        t.rows.push(vec![
            c.k.to_string(),
            c.silhouette
                .map_or_else(|| "–".into(), |v| format!("{v:.3}")),
            format!("{:.3}", c.inertia_per_account),
            format!("{:.1}%", 100.0 * c.smallest_segment_share),
            if c.meets_min_size { "yes" } else { "no" }.into(),
        ]);
    }
    let p = &r.run.parameters;
    vec![
        Block::Para(format!(
            "{}. Silhouette is the mean, over {} sampled accounts, of how much closer each account is to its own segment than to the next (−1 to 1, higher is better); a k whose smallest segment holds under {} of accounts or {} accounts is not eligible.",
            cl.reason,
            cl.silhouette_sample,
            pct(Some(p.min_segment_share)),
            p.min_segment_accounts
        )),
        Block::Figure {
            chart: Chart::Line(Line {
                frame: Frame::new(
                    "Silhouette by number of segments k",
                    "k, number of segments",
                    "Mean silhouette (−1 to 1)",
                ),
                points: cl
                    .candidates
                    .iter()
                    .map(|c| LinePoint {
                        x: c.k as f64,
                        y: c.silhouette,
                        filled: c.meets_min_size,
                    })
                    .collect(),
                highlight: Some(Reference {
                    value: cl.k_chosen as f64,
                    label: format!("chosen k = {}", cl.k_chosen),
                }),
                legend: [
                    "meets minimum size".into(),
                    "a segment too small".into(),
                ],
            }),
            table: t,
        },
    ]
}

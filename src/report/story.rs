//! The review as one sequence of sections, which `report.md` and
//! `report.html` both render: the same findings, in the same order, with the
//! same words and figures. Markdown shows each chart's figures as a table;
//! HTML draws the chart and keeps the table beside it.
//!
//! Nothing here computes a statistic: every figure comes from the
//! [`Report`], and is only selected, ordered and formatted.

use super::chart::{Bar, Bars, Chart, Frame, Line, LinePoint, Series, Steps};
use super::format::{days, horizon, interval, lift, money, p_text, pct, reason, tier};
use super::{Report, Section as Computed};
use crate::correlations::Correlations;
use crate::outcomes::OutcomeFigures;
use crate::recommend::TiersSection;

/// Levels shown in the drivers chart on each side of the overall win rate.
const DRIVER_BARS: usize = 6;

/// A table of formatted cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
        }
    }
}

/// One piece of a section.
#[derive(Debug, Clone)]
pub enum Block {
    Para(String),
    List(Vec<String>),
    /// Items with a lead in bold: "**S1 …**: what sets it apart".
    Labelled(Vec<(String, String)>),
    Table(Table),
    /// A chart and the figures it draws.
    Figure {
        chart: Chart,
        table: Table,
    },
    /// A part the run did not compute, and why.
    NotComputed(String),
    Subheading(String),
    /// Parts meant to be read side by side.
    Columns(Vec<Vec<Block>>),
}

/// A section of the review. The first has no title: it sits under the
/// document's title.
#[derive(Debug, Clone)]
pub struct Section {
    /// Anchor for HTML.
    pub id: &'static str,
    pub title: Option<&'static str>,
    pub blocks: Vec<Block>,
}

/// The document's title.
pub fn title(r: &Report) -> String {
    format!("Segment review as of {}", r.run.as_of)
}

/// Every section, in reading order.
pub fn sections(r: &Report) -> Vec<Section> {
    vec![
        Section {
            id: "findings",
            title: None,
            blocks: findings(r),
        },
        Section {
            id: "segments",
            title: Some("Segments"),
            blocks: segments(r),
        },
        Section {
            id: "win-rate",
            title: Some("Win rate per segment"),
            blocks: win_rate(r),
        },
        Section {
            id: "time-to-win",
            title: Some("Time to win"),
            blocks: time_to_win(r),
        },
        Section {
            id: "tiers",
            title: Some("Current and recommended tiers"),
            blocks: tiers(r),
        },
        Section {
            id: "readiness",
            title: Some("Fit × readiness: whom to work now"),
            blocks: readiness(r),
        },
        Section {
            id: "drivers",
            title: Some("What goes with winning and with speed"),
            blocks: drivers(r),
        },
        Section {
            id: "icp",
            title: Some("Recommended ICP"),
            blocks: icp(r),
        },
        Section {
            id: "since-previous",
            title: Some("Since the previous run"),
            blocks: since_previous(r),
        },
        Section {
            id: "choosing-k",
            title: Some("How k was chosen"),
            blocks: choosing_k(r),
        },
        Section {
            id: "data-quality",
            title: Some("Data quality"),
            blocks: data_quality(r),
        },
        Section {
            id: "run",
            title: Some("This run"),
            blocks: run(r),
        },
    ]
}

fn interval_label(r: &Report) -> String {
    format!("{:.0}% interval", 100.0 * r.run.parameters.confidence)
}

fn closed(o: &OutcomeFigures) -> u64 {
    o.won + o.lost
}

fn bar(label: String, o: &OutcomeFigures) -> Option<Bar> {
    Some(Bar {
        label,
        value: o.win_rate?,
        interval: o.win_rate_interval.map(|i| (i.lo, i.hi)),
    })
}

/// Won over closed deals across all segments: every deal belongs to one.
fn overall_win_rate(r: &Report) -> Option<f64> {
    let won: u64 = r.segments.iter().map(|s| s.outcomes.won).sum();
    let closed: u64 = r.segments.iter().map(|s| closed(&s.outcomes)).sum();
    (closed > 0).then(|| won as f64 / closed as f64)
}

fn findings(r: &Report) -> Vec<Block> {
    let dq = &r.data_quality;
    vec![
        Block::List(r.headlines.clone()),
        Block::Para(format!(
            "{} accounts and {} deals read; {} deals used. k = {} segments ({}).",
            dq.accounts_read,
            dq.deals_read,
            dq.deals_used,
            r.clustering.k_chosen,
            r.clustering.reason
        )),
    ]
}

fn segments(r: &Report) -> Vec<Block> {
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
fn described(seg: &super::SegmentReport) -> String {
    let parts: Vec<&str> = (seg.signals.iter())
        .chain(&seg.relationships)
        .map(|d| d.text.as_str())
        .collect();
    if parts.is_empty() {
        super::format::NONE.into()
    } else {
        parts.join("; ")
    }
}

fn win_rate(r: &Report) -> Vec<Block> {
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
            frame: Frame::new(
                "Win rate per segment",
                format!("Win rate, % of closed deals won (bars: {iv})"),
                "Segment",
            ),
            bars,
            reference: overall.map(|w| (w, format!("overall {}", pct(Some(w))))),
            max: 0.0,
        }),
        table: t,
    });
    blocks
}

fn time_to_win(r: &Report) -> Vec<Block> {
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
        "{}. S{}: {} ({}){median}{tied}",
        rk.rank,
        rk.segment,
        pct(Some(rk.probability)),
        interval(rk.interval)
    )
}

/// A tier's label and figures, current or recommended.
struct TierRow {
    label: String,
    accounts: u64,
    o: OutcomeFigures,
    /// Recommended tiers only.
    fit_score: Option<Option<f64>>,
    expected_value: Option<f64>,
}

fn tier_row(label: String, accounts: u64, o: &OutcomeFigures) -> TierRow {
    TierRow {
        label,
        accounts,
        o: o.clone(),
        fit_score: None,
        expected_value: None,
    }
}

/// "Tier 1", or `none` for the group without a tier.
fn tier_or(t: Option<u8>, none: &str) -> String {
    t.map_or_else(|| none.to_string(), |t| tier(Some(t)))
}

fn tier_figure(r: &Report, title: &str, rows: &[TierRow], max: f64) -> Block {
    let iv = interval_label(r);
    let recommended = rows.iter().any(|t| t.fit_score.is_some());
    let mut header = vec!["tier", "accounts"];
    if recommended {
        header.push("mean fit score");
    }
    header.extend([
        "closed deals",
        "won",
        "win rate",
        &iv,
        "P(win ≤ 90 d)",
        "avg won amount",
    ]);
    if recommended {
        header.push("expected value");
    }
    let mut t = Table::new(&header);
    let mut bars = Vec::new();
    for row in rows {
        let o = &row.o;
        let mut cells = vec![row.label.clone(), row.accounts.to_string()];
        if recommended {
            cells.push(
                row.fit_score
                    .flatten()
                    .map_or_else(|| "–".into(), |v| format!("{v:.1}")),
            );
        }
        cells.extend([
            closed(o).to_string(),
            o.won.to_string(),
            pct(o.win_rate),
            interval(o.win_rate_interval),
            horizon(o, 90),
            money(o.velocity.avg_won_amount),
        ]);
        if recommended {
            cells.push(money(row.expected_value));
        }
        t.rows.push(cells);
        bars.extend(bar(row.label.clone(), o));
    }
    let overall = overall_win_rate(r);
    Block::Figure {
        chart: Chart::Bars(Bars {
            frame: Frame::new(
                title,
                format!("Win rate, % of closed deals won (bars: {iv})"),
                "Tier",
            ),
            bars,
            reference: overall.map(|w| (w, format!("overall {}", pct(Some(w))))),
            max,
        }),
        table: t,
    }
}

fn tiers(r: &Report) -> Vec<Block> {
    let current: Option<Vec<TierRow>> = r.current_tiers.computed().map(|ct| {
        ct.tiers
            .iter()
            .map(|t| tier_row(tier(t.tier), t.outcomes.accounts, &t.outcomes))
            .collect()
    });
    let recommended: Option<Vec<TierRow>> = r.tiers.computed().map(|ts| {
        ts.tiers
            .iter()
            .map(|t| TierRow {
                fit_score: Some(t.mean_fit_score),
                expected_value: Some(t.expected_value),
                ..tier_row(tier_or(t.tier, "outside ICP"), t.accounts, &t.outcomes)
            })
            .collect()
    });
    // Both charts share the value axis, so bars compare across them.
    let max = current
        .iter()
        .chain(recommended.iter())
        .flatten()
        .filter_map(|t| t.o.win_rate_interval.map(|i| i.hi).or(t.o.win_rate))
        .fold(0.0, f64::max);

    let mut left = vec![Block::Subheading("Current tiers".into())];
    match (&r.current_tiers, &current) {
        (Computed::Computed(ct), Some(rows)) => {
            left.push(Block::Para(format!("{}.", ct.verdict)));
            left.push(tier_figure(r, "Win rate per current tier", rows, max));
            left.extend(current_comparisons(ct));
        }
        _ => left.push(Block::NotComputed(not_computed_reason(&r.current_tiers))),
    }
    let mut right = vec![Block::Subheading("Recommended tiers".into())];
    match (&r.tiers, &recommended) {
        (Computed::Computed(ts), Some(rows)) => {
            right.push(Block::Para(format!(
                "Among accounts in the ICP: Tier 1 from fit score {:.1}, Tier 2 from {:.1}, Tier 3 the rest. {}.",
                ts.tier1_min_score, ts.tier2_min_score, ts.score_method
            )));
            right.push(tier_figure(
                r,
                "Win rate per recommended tier (training deals)",
                rows,
                max,
            ));
            right.extend(validation(r, ts));
        }
        _ => right.push(Block::NotComputed(not_computed_reason(&r.tiers))),
    }
    vec![Block::Columns(vec![left, right])]
}

/// The current tiers' comparisons, under the current tiers' heading, with
/// a sentence that says what they compare.
fn current_comparisons(ct: &super::CurrentTiers) -> Vec<Block> {
    let mut blocks = vec![
        Block::Para(format!(
            "The current tiers (the accounts' own tier column) compared on the closed deals created {} to {}:",
            ct.window.from, ct.window.to
        )),
        Block::List(
            ct.comparisons
                .iter()
                .map(|c| c.verdict_text.clone())
                .collect(),
        ),
    ];
    if !ct.icp_gap.text.is_empty() {
        blocks.push(Block::Para(ct.icp_gap.text.clone()));
    }
    if !ct.by_quarter.is_empty() {
        blocks.push(Block::Para("Tier 1 vs Tier 2 per quarter:".into()));
        blocks.push(Block::Labelled(
            ct.by_quarter
                .iter()
                .map(|q| (q.window.label.clone(), q.verdict.clone()))
                .collect(),
        ));
    }
    blocks
}

fn not_computed_reason<T>(s: &Computed<T>) -> String {
    match s {
        Computed::NotComputed { reason, .. } => reason.clone(),
        Computed::Computed(_) => "no figures".into(),
    }
}

/// The recommended tiers on held-out deals.
fn validation(r: &Report, ts: &TiersSection) -> Vec<Block> {
    let Some(v) = &ts.validation else {
        return ts
            .validation_note
            .iter()
            .map(|n| Block::Para(format!("Out-of-time validation: {n}.")))
            .collect();
    };
    let rows: Vec<TierRow> = v
        .tiers
        .iter()
        .map(|t| {
            tier_row(
                tier_or(t.tier, "outside ICP"),
                t.outcomes.accounts,
                &t.outcomes,
            )
        })
        .collect();
    let mut blocks = vec![
        Block::Subheading(format!(
            "Out-of-time validation ({} to {})",
            v.holdout.from, v.holdout.to
        )),
        Block::Para(format!("{}.", v.text)),
        tier_figure(
            r,
            "Win rate per recommended tier on held-out deals",
            &rows,
            0.0,
        ),
        Block::List(
            v.comparisons
                .iter()
                .map(|c| c.verdict_text.clone())
                .collect(),
        ),
    ];
    if !v.calibration.is_empty() {
        let mut t = Table::new(&["predicted", "closed deals", "mean predicted", "observed"]);
        for b in &v.calibration {
            t.rows.push(vec![
                format!("{:.0}–{:.0}%", 100.0 * b.lo, 100.0 * b.hi),
                b.closed_deals.to_string(),
                pct(Some(b.mean_predicted)),
                pct(Some(b.observed_win_rate)),
            ]);
        }
        blocks.push(Block::Para("Calibration on held-out deals:".into()));
        blocks.push(Block::Table(t));
    }
    blocks
}

/// The fit × readiness matrix, the sentence on whom to work now, and how
/// well each score ranks deals it never saw.
fn readiness(r: &Report) -> Vec<Block> {
    let ts = match &r.tiers {
        Computed::Computed(ts) => ts,
        other => return vec![Block::NotComputed(not_computed_reason(other))],
    };
    let mut blocks = Vec::new();
    match &ts.readiness {
        Some(rd) => {
            blocks.push(Block::Para(rd.text.clone()));
            blocks.push(Block::Para(format!(
                "Readiness reads {} ({}). High from readiness score {:.1}, medium from {:.1}.",
                rd.features.join(", "),
                rd.method,
                rd.high_min_score,
                rd.medium_min_score
            )));
            let held_out = rd.matrix.iter().any(|c| c.held_out.is_some());
            if held_out {
                blocks.extend(readiness_matrix(rd, "held-out deals", true));
            }
            blocks.extend(readiness_matrix(rd, "training deals", false));
        }
        None => blocks.push(Block::NotComputed(
            ts.readiness_note
                .clone()
                .unwrap_or_else(|| "no readiness score".into()),
        )),
    }
    if let Some(v) = &ts.validation {
        blocks.extend(score_checks(v));
    }
    blocks
}

/// Recommended tier × readiness band on held-out (`hold`) or training deals.
fn readiness_matrix(
    rd: &crate::recommend::readiness::ReadinessSection,
    label: &str,
    hold: bool,
) -> [Block; 2] {
    let mut t = Table::new(&["fit", "high readiness", "medium", "low"]);
    let rows = [Some(1), Some(2), Some(3), None]
        .into_iter()
        .map(|g| {
            let cells = rd.matrix.iter().filter(|c| c.tier == g).collect::<Vec<_>>();
            (tier_or(g, "outside ICP"), cells)
        })
        .chain(std::iter::once((
            "all in ICP".to_string(),
            rd.in_icp_by_band.iter().collect::<Vec<_>>(),
        )));
    for (label_row, cells) in rows {
        let mut row = vec![label_row];
        for c in cells {
            let f = if hold {
                c.held_out.as_ref()
            } else {
                Some(&c.training)
            };
            row.push(match f {
                Some(f) => format!(
                    "{} accounts, {} of {} won ({})",
                    c.accounts,
                    f.won,
                    f.closed_deals,
                    pct(f.win_rate)
                ),
                None => format!("{} accounts", c.accounts),
            });
        }
        t.rows.push(row);
    }
    [
        Block::Para(format!(
            "Recommended tier × readiness band: accounts, and closed {label} won:"
        )),
        Block::Table(t),
    ]
}

/// AUC of the fit score, the readiness score and both, out of time and by account.
fn score_checks(v: &crate::recommend::Validation) -> Vec<Block> {
    let mut t = Table::new(&["score", "judged on", "closed deals", "AUC", "interval"]);
    let mut add = |name: &str, on: String, c: &crate::recommend::ScoreCheck| {
        t.rows.push(vec![
            name.to_string(),
            on,
            c.closed_deals.to_string(),
            c.auc.map_or_else(|| "–".into(), |a| format!("{a:.3}")),
            c.auc_interval
                .map_or_else(|| "–".into(), |i| format!("{:.3}–{:.3}", i.lo, i.hi)),
        ]);
    };
    let held = format!("held-out deals ({})", v.holdout.label);
    let fit = crate::recommend::ScoreCheck {
        closed_deals: v.calibration.iter().map(|b| b.closed_deals).sum(),
        auc: v.auc,
        auc_interval: v.auc_interval,
        auc_design_effect: v.auc_design_effect,
        calibration: vec![],
    };
    add("fit", held.clone(), &fit);
    if let Some(rc) = &v.readiness {
        add("readiness", held.clone(), &rc.readiness);
        add("fit and readiness together", held, &rc.combined);
    }
    if let Some(a) = &v.by_account {
        add(
            "fit",
            format!("{:.0}% of accounts held out", 100.0 * a.held_out_share),
            &a.check,
        );
    }
    let mut blocks = vec![
        Block::Para(
            "How well each score ranks won above lost deals it was not fitted on (intervals allow for deals of one account):".into(),
        ),
        Block::Table(t),
    ];
    if let Some(a) = &v.by_account {
        blocks.push(Block::Para(format!("By account: {}.", a.method)));
    }
    blocks
}

fn icp(r: &Report) -> Vec<Block> {
    let Computed::Computed(icp) = &r.icp else {
        return vec![Block::NotComputed(not_computed_reason(&r.icp))];
    };
    let mut blocks = vec![Block::Para(format!(
        "Fitted on {} ({} to {}), on fit features only. {} accounts are in the ICP (the core ICP: every qualifying and no disqualifying criterion); their deals win {} ({}), the rest {}.{}",
        icp.trained_on.label,
        icp.trained_on.from,
        icp.trained_on.to,
        icp.in_icp_accounts,
        pct(icp.in_icp.win_rate),
        interval(icp.in_icp.win_rate_interval),
        pct(icp.outside_icp.win_rate),
        held_out_sentence(icp),
    ))];
    blocks.push(Block::Subheading("Core and broad ICP".into()));
    blocks.push(Block::Table(frontier_table(icp)));
    let iv = interval_label(r);
    for (title, chart_title, rules) in [
        (
            "Qualifying (core ICP: all must hold)",
            "Win rate of accounts meeting each qualifying criterion",
            &icp.qualifying,
        ),
        (
            "Disqualifying (any one rules an account out)",
            "Win rate of accounts meeting each disqualifying criterion",
            &icp.disqualifying,
        ),
        (
            "Broad ICP (all must hold)",
            "Win rate of accounts meeting each broad ICP criterion",
            &icp.broad_qualifying,
        ),
    ] {
        blocks.push(Block::Subheading(title.into()));
        if rules.is_empty() {
            blocks.push(Block::List(vec!["none".into()]));
            continue;
        }
        let mut t = Table::new(&[
            "criterion",
            "accounts",
            "closed deals",
            "win rate",
            &iv,
            "lift",
            "P(win ≤ 90 d)",
            "median days to win",
            "held-out win rate",
        ]);
        let mut bars = Vec::new();
        for e in rules {
            t.rows.push(vec![
                e.text.clone(),
                e.accounts.to_string(),
                e.closed_deals.to_string(),
                pct(e.win_rate),
                interval(e.win_rate_interval),
                lift(e.lift),
                pct(e.p_win_90d),
                days(e.median_days_to_win),
                held_out_rate(e.held_out.as_ref()),
            ]);
            bars.extend(e.win_rate.map(|w| Bar {
                label: e.text.clone(),
                value: w,
                interval: e.win_rate_interval.map(|i| (i.lo, i.hi)),
            }));
        }
        let overall = overall_win_rate(r);
        blocks.push(Block::Figure {
            chart: Chart::Bars(Bars {
                frame: Frame::new(
                    chart_title,
                    format!("Win rate, % of closed deals won (bars: {iv})"),
                    "Criterion",
                ),
                bars,
                reference: overall.map(|w| (w, format!("overall {}", pct(Some(w))))),
                max: 0.0,
            }),
            table: t,
        });
    }
    blocks
}

/// How the ICP did on the held-out deals, as a sentence after the training figures.
fn held_out_sentence(icp: &crate::recommend::IcpSection) -> String {
    let (Some(w), Some(inside), Some(outside)) = (
        &icp.held_out_on,
        &icp.core.held_out,
        &icp.core.outside_held_out,
    ) else {
        return String::new();
    };
    format!(
        " On deals created in {} ({} to {}), which the rules were not learned on, ICP accounts win {} of {} closed deals, the rest {} of {}.",
        w.label,
        w.from,
        w.to,
        pct(inside.win_rate),
        inside.closed_deals,
        pct(outside.win_rate),
        outside.closed_deals
    )
}

/// A held-out win rate with its closed deals: `41.0% of 83`, or `—`.
fn held_out_rate(g: Option<&crate::recommend::GroupFigures>) -> String {
    g.map_or_else(
        || super::format::NONE.into(),
        |g| format!("{} of {}", pct(g.win_rate), g.closed_deals),
    )
}

/// The frontier's two points side by side: the core ICP (in ICP) and the broad ICP.
fn frontier_table(icp: &crate::recommend::IcpSection) -> Table {
    let mut t = Table::new(&[
        "",
        "rule",
        "accounts",
        "share of wins",
        "win rate (training)",
        "rest (training)",
        "win rate (held out)",
        "rest (held out)",
    ]);
    for (name, e) in [("core (in ICP)", &icp.core), ("broad", &icp.broad)] {
        t.rows.push(vec![
            name.into(),
            e.text.clone(),
            e.accounts.to_string(),
            pct(e.share_of_wins),
            format!(
                "{} of {}",
                pct(e.training.win_rate),
                e.training.closed_deals
            ),
            format!(
                "{} of {}",
                pct(e.outside_training.win_rate),
                e.outside_training.closed_deals
            ),
            held_out_rate(e.held_out.as_ref()),
            held_out_rate(e.outside_held_out.as_ref()),
        ]);
    }
    t
}

/// Tier moves listed in the reports; report.json lists up to
/// [`crate::stability::MAX_MOVES_LISTED`].
const MOVES_SHOWN: usize = 20;

/// What changed since `--previous`: segment ids, recommended and current
/// tiers, and drift.
fn since_previous(r: &Report) -> Vec<Block> {
    let (stability, drift) = (r.stability.computed(), r.drift.computed());
    if stability.is_none() && drift.is_none() {
        return vec![Block::NotComputed(not_computed_reason(&r.stability))];
    }
    let mut blocks = vec![Block::Subheading("Segments".into())];
    match stability {
        Some(s) => blocks.extend(segment_matching(r, &s.segments)),
        None => blocks.push(Block::NotComputed(not_computed_reason(&r.stability))),
    }
    if let Some(t) = stability.and_then(|s| s.tiers.as_ref()) {
        blocks.push(Block::Subheading("Recommended tiers".into()));
        blocks.push(Block::Para(format!(
            "Tier 1 kept {} of the previous run's Tier 1 accounts (Jaccard index of the two Tier 1 lists {}).",
            pct(t.tier1_retained),
            t.tier1_jaccard.map_or_else(|| super::format::NONE.into(), |j| format!("{j:.2}"))
        )));
        blocks.push(transitions(&t.transitions));
        blocks.extend(moves(&t.movement, "outside the tiers"));
    }
    if let Some(m) = r.current_tiers.computed().and_then(|c| c.movement.as_ref()) {
        blocks.push(Block::Subheading("Current tiers".into()));
        blocks.extend(moves(m, "untiered"));
    }
    blocks.push(Block::Subheading("Drift".into()));
    match drift {
        Some(d) => blocks.extend(drift_blocks(d)),
        None => blocks.push(Block::NotComputed(not_computed_reason(&r.drift))),
    }
    blocks
}

fn segment_matching(r: &Report, m: &crate::stability::SegmentMatching) -> Vec<Block> {
    let mut t = Table::new(&[
        "segment",
        "since the previous run",
        "accounts shared (Jaccard)",
    ]);
    for seg in &r.segments {
        let matched = m.matched.iter().find(|x| x.id == seg.id);
        t.rows.push(vec![
            format!("S{} {}", seg.id, seg.name),
            if matched.is_some() {
                "continues"
            } else {
                "new"
            }
            .into(),
            matched.map_or_else(
                || super::format::NONE.into(),
                |x| format!("{:.2}", x.jaccard),
            ),
        ]);
    }
    let mut blocks = vec![
        Block::Para(format!(
            "Compared with {}: {} of {} segments continue a previous segment and keep its id, {} new, {} vanished.",
            m.previous_run,
            m.matched.len(),
            r.segments.len(),
            m.new.len(),
            m.vanished.len()
        )),
        Block::Table(t),
    ];
    if !m.vanished.is_empty() {
        blocks.push(Block::Para("Previous segments with no successor:".into()));
        blocks.push(Block::List(
            m.vanished
                .iter()
                .map(|v| {
                    format!(
                        "S{}{}: {} accounts",
                        v.id,
                        v.name
                            .as_deref()
                            .map_or_else(String::new, |n| format!(" {n}")),
                        v.accounts
                    )
                })
                .collect(),
        ));
    }
    blocks
}

/// Accounts per previous and current recommended tier, as a cross-table.
fn transitions(ts: &[crate::stability::Transition]) -> Block {
    let tiers: Vec<Option<u8>> = {
        let mut v: Vec<Option<u8>> = ts.iter().flat_map(|t| [t.from, t.to]).collect();
        // Tier 1 first, outside the tiers last.
        v.sort_by_key(|t| t.unwrap_or(u8::MAX));
        v.dedup();
        v
    };
    let label = |t: Option<u8>| tier_or(t, "outside the tiers");
    let columns: Vec<String> = tiers.iter().map(|&t| format!("now {}", label(t))).collect();
    let mut header = vec!["previously"];
    header.extend(columns.iter().map(String::as_str));
    let mut table = Table::new(&header);
    for &from in &tiers {
        let mut row = vec![label(from)];
        row.extend(tiers.iter().map(|&to| {
            ts.iter()
                .find(|t| t.from == from && t.to == to)
                .map_or(0, |t| t.accounts)
                .to_string()
        }));
        table.rows.push(row);
    }
    Block::Table(table)
}

fn moves(m: &super::Movement, none: &str) -> Vec<Block> {
    let mut blocks = vec![Block::Para(format!(
        "{} accounts moved up a tier, {} down and {} kept theirs; {} entered the tiers and {} left them.",
        m.up, m.down, m.unchanged, m.entered, m.left
    ))];
    if m.moves.is_empty() {
        return blocks;
    }
    let mut t = Table::new(&["account", "was", "now", "why"]);
    for mv in m.moves.iter().take(MOVES_SHOWN) {
        t.rows.push(vec![
            mv.account_id.clone(),
            tier_or(mv.from, none),
            tier_or(mv.to, none),
            mv.reason.clone(),
        ]);
    }
    let total = m.up + m.down + m.entered + m.left;
    if total as usize > t.rows.len() {
        blocks.push(Block::Para(format!(
            "The first {} of {total} moves by account id (report.json lists up to {}):",
            t.rows.len(),
            crate::stability::MAX_MOVES_LISTED
        )));
    }
    blocks.push(Block::Table(t));
    blocks
}

fn drift_blocks(d: &crate::drift::Drift) -> Vec<Block> {
    use crate::drift::{DRIFTED, WATCH};
    let mut t = Table::new(&["compared", "PSI", "band", "noise 95%", "p (Holm)"]);
    for item in d
        .features
        .iter()
        .chain(&d.fit_score)
        .chain(&d.tier_win_rates)
    {
        t.rows.push(vec![
            item.name.clone(),
            format!("{:.3}", item.psi),
            item.band.name().into(),
            item.noise_psi_95.map_or("–".into(), |q| format!("{q:.3}")),
            item.p_holm.map_or("–".into(), crate::stats::format_p),
        ]);
    }
    let mut blocks = vec![
        Block::Para(format!(
            "Today's accounts against {}, by population stability index (PSI): below {WATCH} stable, {WATCH}–{DRIFTED} worth watching, above {DRIFTED} drifted — each only where the change is beyond chance (Holm-adjusted p below {}; \"noise 95%\" is the PSI a sample of this size exceeds by chance one time in twenty; tiers: deals closed since against the previous run's, two-proportion test).",
            d.against,
            crate::drift::NOISE_ALPHA
        )),
        Block::Table(t),
    ];
    blocks.push(Block::Para(if d.drifted.is_empty() {
        "Nothing drifted.".into()
    } else {
        format!("Drifted: {}.", d.drifted.join(", "))
    }));
    blocks
}

fn driver_figure(r: &Report, c: &Correlations) -> Option<Block> {
    let material: Vec<_> = c
        .levels
        .iter()
        .filter(|l| l.win.as_ref().is_some_and(|w| w.material) && l.lift.is_some())
        .collect();
    let by_lift = |up: bool| {
        let mut v: Vec<_> = material
            .iter()
            .filter(|l| (l.lift.unwrap_or(1.0) > 1.0) == up)
            .copied()
            .collect();
        v.sort_by(|a, b| {
            let (a, b) = (a.lift.unwrap_or(1.0), b.lift.unwrap_or(1.0));
            if up {
                b.total_cmp(&a)
            } else {
                a.total_cmp(&b)
            }
        });
        v.truncate(DRIVER_BARS);
        v
    };
    let mut shown = by_lift(true);
    let mut down = by_lift(false);
    down.reverse();
    shown.extend(down);
    if shown.is_empty() {
        return None;
    }
    let iv = interval_label(r);
    let mut t = Table::new(&["attribute", "closed deals", "win rate", &iv, "lift", "q"]);
    let mut bars = Vec::new();
    for l in &shown {
        t.rows.push(vec![
            l.label.clone(),
            l.closed_deals.to_string(),
            pct(l.win_rate),
            interval(l.win_rate_interval),
            lift(l.lift),
            l.win.as_ref().map_or_else(
                || "–".into(),
                |w| crate::stats::association::format_p(w.q_value),
            ),
        ]);
        bars.extend(l.win_rate.map(|w| Bar {
            label: l.label.clone(),
            value: w,
            interval: l.win_rate_interval.map(|i| (i.lo, i.hi)),
        }));
    }
    Some(Block::Figure {
        chart: Chart::Bars(Bars {
            frame: Frame::new(
                "Win rate of the attributes that go most with winning or losing",
                format!("Win rate, % of closed deals won (bars: {iv})"),
                "Account attribute",
            ),
            bars,
            reference: Some((
                c.overall_win_rate,
                format!("overall {}", pct(Some(c.overall_win_rate))),
            )),
            max: 0.0,
        }),
        table: t,
    })
}

fn drivers(r: &Report) -> Vec<Block> {
    let c = match &r.correlations {
        Computed::Computed(c) => c,
        Computed::NotComputed { reason, .. } => return vec![Block::NotComputed(reason.clone())],
    };
    let mut blocks = vec![Block::Para(format!(
        "Closed deals joined to their account's features ({} tests, Benjamini–Hochberg q < {}; material: lift ≥ {} or ≤ {}, |r| ≥ {}, at least {} closed deals). These are associations, not causes.",
        c.tests,
        c.thresholds.q_max,
        c.thresholds.lift_high,
        c.thresholds.lift_low,
        c.thresholds.min_abs_r,
        c.thresholds.min_support
    ))];
    blocks.extend(driver_figure(r, c));
    for (title, list) in [
        ("Drivers of winning", &c.drivers.winning_positive),
        ("Drags on winning", &c.drivers.winning_negative),
        ("Faster wins", &c.drivers.faster),
        ("Slower wins", &c.drivers.slower),
    ] {
        blocks.push(Block::Subheading(title.into()));
        blocks.push(Block::List(if list.is_empty() {
            vec!["none material".into()]
        } else {
            list.clone()
        }));
    }
    blocks
}

fn choosing_k(r: &Report) -> Vec<Block> {
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
                highlight: Some((cl.k_chosen as f64, format!("chosen k = {}", cl.k_chosen))),
                legend: [
                    "meets minimum size".into(),
                    "a segment too small".into(),
                ],
            }),
            table: t,
        },
    ]
}

fn data_quality(r: &Report) -> Vec<Block> {
    let dq = &r.data_quality;
    let mut items = vec![
        dq.features_as_of.clone(),
        format!("{} accounts read", dq.accounts_read),
        format!("{} deals read, {} used", dq.deals_read, dq.deals_used),
    ];
    if dq.deals_dropped.is_empty() {
        items.push("No deal was dropped".into());
    }
    for (key, n) in &dq.deals_dropped {
        items.push(format!("{n} deals dropped: {}", reason(key.key())));
    }
    if dq.deals_reopened_at_as_of > 0 {
        items.push(format!(
            "{} deals closed after the as-of date are counted as open",
            dq.deals_reopened_at_as_of
        ));
    }
    if dq.deals_lost_as_stale > 0 {
        items.push(format!(
            "{} open deals older than [deals] stale_after_days are counted as lost",
            dq.deals_lost_as_stale
        ));
    }
    items.push(format!(
        "{} accounts have no deal",
        dq.accounts_without_deals
    ));
    if let Some(h) = &dq.account_history {
        let joined: Vec<String> = h
            .join
            .features
            .iter()
            .map(|f| format!("{} {}", f.feature, f.deals_joined))
            .collect();
        items.push(format!(
            "account history: {} versions of {} accounts ({:.1} per account); {} deals found the version valid at their creation, {} did not (their features are missing); deals joined per feature: {}",
            h.rows,
            h.accounts_with_versions,
            h.versions_per_account,
            h.join.deals_with_version,
            h.join.deals_without_version,
            joined.join(", ")
        ));
    }
    let used: Vec<String> = dq
        .features_used
        .iter()
        .map(|f| {
            if f.nulls > 0 {
                format!(
                    "{} ({:?}, {:.1}% null)",
                    f.name,
                    f.kind,
                    100.0 * f.null_share
                )
            } else {
                format!("{} ({:?})", f.name, f.kind)
            }
            .to_lowercase()
        })
        .collect();
    items.push(format!(
        "features used: {} ({} encoded columns)",
        used.join(", "),
        dq.encoded_columns
    ));
    items.push(roles_text(&dq.features_used));
    items.extend(post_outcome_text(dq.post_outcome.as_ref()));
    for sk in &dq.features_skipped {
        items.push(format!("skipped `{}`: {}", sk.column, sk.reason));
    }
    for w in &dq.warnings {
        items.push(format!("warning: {w}"));
    }
    vec![Block::List(items)]
}

/// The snapshot sentence and one line per likely post-outcome feature.
fn post_outcome_text(p: Option<&crate::leakage::PostOutcome>) -> Vec<String> {
    // The snapshot itself is said once, by `features_as_of`.
    let Some(p) = p else { return vec![] };
    let mut items = vec![if p.features.is_empty() {
        "No feature looks set by a win (no value's accounts won a deal more often than their deals' win rate explains)".to_string()
    } else {
        let n = p.features.len();
        format!(
            "{n} feature{} look{} set by a win (likely post-outcome):",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        )
    }];
    items.extend(
        p.features
            .iter()
            .map(|f| format!("likely post-outcome: {}", f.text)),
    );
    items
}

fn run(r: &Report) -> Vec<Block> {
    let run = &r.run;
    // No timestamps: identical runs give identical reports (they are in report.json).
    let mut items = vec![format!(
        "{} {}, seed {}, as of {}",
        run.tool, run.tool_version, run.seed, run.as_of
    )];
    for (name, f) in &run.inputs {
        items.push(format!(
            "{name}: {} ({} rows, SHA-256 {})",
            f.path,
            f.rows,
            f.sha256.get(..12).unwrap_or(&f.sha256)
        ));
    }
    vec![Block::List(items)]
}

/// Each feature's role, and which roles were declared rather than inferred,
/// so a wrong guess is visible and one line of config fixes it.
fn roles_text(used: &[super::FeatureUsed]) -> String {
    use crate::features::Role;
    let groups: Vec<String> = Role::ALL
        .iter()
        .filter_map(|&role| {
            let names: Vec<&str> = used
                .iter()
                .filter(|f| f.role == role)
                .map(|f| f.name.as_str())
                .collect();
            (!names.is_empty()).then(|| format!("{}: {}", role.as_str(), names.join(", ")))
        })
        .collect();
    let declared: Vec<&str> = used
        .iter()
        .filter(|f| f.role_declared)
        .map(|f| f.name.as_str())
        .collect();
    let source = match declared.len() {
        0 => "all inferred from column names".to_string(),
        n if n == used.len() => "all declared in [accounts.roles]".to_string(),
        _ => format!(
            "declared in [accounts.roles]: {}; the rest inferred from column names",
            declared.join(", ")
        ),
    };
    format!("feature roles: {} ({source})", groups.join("; "))
}

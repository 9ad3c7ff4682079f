//! Current and recommended tiers side by side, the verdict on the current
//! ones, the recommended ones on held-out deals, and fit × readiness.

use super::blocks::{
    bar, closed, interval_label, not_computed_reason, overall_reference, overall_win_rate, tier_or,
    win_rate_axis, Block, Table,
};
use crate::outcomes::OutcomeFigures;
use crate::recommend::TiersSection;
use crate::report::chart::{Bars, Chart, Frame};
use crate::report::format::{horizon, interval, money, pct, tier};
use crate::report::{Report, Section as Computed};

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
            frame: Frame::new(title, win_rate_axis(&iv), "Tier"),
            bars,
            reference: overall.map(overall_reference),
            max,
        }),
        table: t,
    }
}

pub(super) fn tiers(r: &Report) -> Vec<Block> {
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
        (Computed::Computed(ts), Some(_)) if ts.tiers_note.is_some() => {
            right.push(Block::Para(format!(
                "Not recommended: {}.",
                ts.tiers_note.as_deref().unwrap_or_default()
            )));
        }
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
fn current_comparisons(ct: &crate::report::CurrentTiers) -> Vec<Block> {
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
pub(super) fn readiness(r: &Report) -> Vec<Block> {
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
    blocks.extend(v.gains.as_ref().map(gains));
    blocks
}

/// The fit score's cumulative gains on held-out deals, and its top-decile
/// lift.
fn gains(g: &crate::recommend::validation_gains::Gains) -> Block {
    let mut t = Table::new(&["best-scored share of deals", "share of the wins"]);
    for p in &g.curve {
        t.rows.push(vec![
            pct(Some(p.share_of_deals)),
            pct(Some(p.share_of_wins)),
        ]);
    }
    let lift = format!("top-decile lift {:.2}", g.top_decile_lift);
    Block::Figure {
        chart: Chart::Line(crate::report::chart::Line {
            frame: Frame::new(
                format!(
                    "Cumulative gains of the fit score on {} held-out closed deals ({lift})",
                    g.closed_deals
                ),
                "Tenths of the deals, best fit score first",
                "% of the wins among them",
            ),
            points: (g.curve.iter().enumerate())
                .map(|(k, p)| crate::report::chart::LinePoint {
                    x: k as f64,
                    y: Some(100.0 * p.share_of_wins),
                    filled: p.share_of_wins > p.share_of_deals,
                })
                .collect(),
            highlight: Some(crate::report::chart::Reference {
                value: 1.0,
                label: lift,
            }),
            legend: [
                "above a random order".into(),
                "not above a random order".into(),
            ],
        }),
        table: t,
    }
}

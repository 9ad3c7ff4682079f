//! `report.md`: the same findings as `report.json`, for a person.

use std::fmt::Write;

use super::{Report, Section};
use crate::outcomes::OutcomeFigures;

pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", 100.0 * v))
}

pub fn interval(i: Option<crate::stats::conversion::Interval>) -> String {
    i.map_or_else(
        || "–".to_string(),
        |i| format!("{:.1}–{:.1}%", 100.0 * i.lo, 100.0 * i.hi),
    )
}

/// "p = 0.031" or "p < 1e-12".
pub fn p_text(p: f64) -> String {
    let s = crate::stats::association::format_p(p);
    if s.starts_with('<') {
        format!("p {s}")
    } else {
        format!("p = {s}")
    }
}

pub fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.0} d"))
}

pub fn money(v: Option<f64>) -> String {
    match v {
        None => "–".to_string(),
        Some(v) if v.abs() >= 1e6 => format!("{:.2}M", v / 1e6),
        Some(v) if v.abs() >= 1e4 => format!("{:.1}k", v / 1e3),
        Some(v) => format!("{v:.0}"),
    }
}

fn horizon(f: &OutcomeFigures, d: u32) -> String {
    f.time_to_win
        .horizons
        .iter()
        .find(|h| h.days == d)
        .map_or_else(|| "–".to_string(), |h| pct(Some(h.probability)))
}

/// Render `report.md`.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Segment review as of {}\n", r.run.as_of);
    for h in &r.headlines {
        let _ = writeln!(s, "- {h}");
    }
    let dq = &r.data_quality;
    let _ = writeln!(
        s,
        "\n{} accounts and {} deals read; {} deals used. k = {} segments ({}).\n",
        dq.accounts_read, dq.deals_read, dq.deals_used, r.clustering.k_chosen, r.clustering.reason
    );

    let _ = writeln!(s, "## Segments\n");
    let h = r.run.parameters.horizons_days.clone();
    let mut header =
        "| segment | accounts | closed deals | win rate | 95% interval | lift |".to_string();
    for d in &h {
        let _ = write!(header, " P(win ≤ {d} d) |");
    }
    header.push_str(
        " median days to win | median cycle, won only | avg won amount | value per day |",
    );
    let _ = writeln!(s, "{header}");
    let _ = writeln!(s, "|{}", "---|".repeat(10 + h.len()));
    for seg in &r.segments {
        let o = &seg.outcomes;
        let mut row = format!(
            "| S{} {} | {} | {} | {} | {} | {} |",
            seg.id,
            seg.name,
            o.accounts,
            o.won + o.lost,
            pct(o.win_rate),
            interval(o.win_rate_interval),
            seg.lift.map_or_else(|| "–".into(), |l| format!("{l:.2}×"))
        );
        for d in &h {
            let _ = write!(row, " {} |", horizon(o, *d));
        }
        let _ = write!(
            row,
            " {} | {} | {} | {} |",
            days(o.time_to_win.median_days_to_win),
            days(o.median_days_to_win_won_only),
            money(o.velocity.avg_won_amount),
            money(o.velocity.value_per_day)
        );
        let _ = writeln!(s, "{row}");
    }
    let _ = writeln!(s, "\nWhat sets each segment apart:\n");
    for seg in &r.segments {
        let texts: Vec<&str> = seg.distinguishing.iter().map(|d| d.text.as_str()).collect();
        let _ = writeln!(s, "- **S{} {}**: {}", seg.id, seg.name, texts.join("; "));
    }

    if let Section::Computed(sp) = &r.speed {
        let _ = writeln!(s, "\n## Speed\n");
        let _ = writeln!(
            s,
            "Does time to win differ between segments? {}: χ² = {:.2}, df = {}, {}.\n",
            sp.test,
            sp.statistic,
            sp.df,
            p_text(sp.p_value)
        );
        let _ = writeln!(
            s,
            "Ranked by probability of a win within {} days:\n",
            sp.ranking_horizon_days
        );
        for rk in &sp.ranking {
            let tied = if rk.not_distinguishable_from.is_empty() {
                String::new()
            } else {
                format!(
                    " (not distinguishable from {})",
                    rk.not_distinguishable_from
                        .iter()
                        .map(|x| format!("S{x}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                s,
                "{}. S{}: {} ({}){tied}",
                rk.rank,
                rk.segment,
                pct(Some(rk.probability)),
                interval(rk.interval)
            );
        }
    }

    if let Section::Computed(c) = &r.correlations {
        let _ = writeln!(s, "\n## What goes with winning\n");
        let _ = writeln!(
            s,
            "Closed deals joined to their account's features ({} tests, Benjamini–Hochberg q < {}; material: lift ≥ {} or ≤ {}, |r| ≥ {}, at least {} closed deals).\n",
            c.tests, c.thresholds.q_max, c.thresholds.lift_high, c.thresholds.lift_low, c.thresholds.min_abs_r, c.thresholds.min_support
        );
        for (title, list) in [
            ("Drivers of winning", &c.drivers.winning_positive),
            ("Drags on winning", &c.drivers.winning_negative),
            ("Faster wins", &c.drivers.faster),
            ("Slower wins", &c.drivers.slower),
        ] {
            let _ = writeln!(s, "**{title}**\n");
            if list.is_empty() {
                let _ = writeln!(s, "- none material");
            }
            for d in list {
                let _ = writeln!(s, "- {d}");
            }
            let _ = writeln!(s);
        }
    }

    if let Section::Computed(icp) = &r.icp {
        let _ = writeln!(s, "\n## Recommended ICP\n");
        let _ = writeln!(
            s,
            "Fitted on {} ({} to {}). {} accounts meet every qualifying and no disqualifying criterion; their deals win {} ({}), the rest {}.\n",
            icp.trained_on.label,
            icp.trained_on.from,
            icp.trained_on.to,
            icp.in_icp_accounts,
            pct(icp.in_icp.win_rate),
            interval(icp.in_icp.win_rate_interval),
            pct(icp.outside_icp.win_rate)
        );
        for (title, rules) in [
            ("Qualifying (all must hold)", &icp.qualifying),
            (
                "Disqualifying (any one rules an account out)",
                &icp.disqualifying,
            ),
        ] {
            let _ = writeln!(s, "**{title}**\n");
            if rules.is_empty() {
                let _ = writeln!(s, "- none\n");
                continue;
            }
            let _ = writeln!(s, "| criterion | accounts | closed deals | win rate | 95% interval | lift | P(win ≤ 90 d) | median days to win |");
            let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
            for e in rules {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    e.text,
                    e.accounts,
                    e.closed_deals,
                    pct(e.win_rate),
                    interval(e.win_rate_interval),
                    e.lift.map_or_else(|| "–".into(), |l| format!("{l:.2}×")),
                    pct(e.p_win_90d),
                    days(e.median_days_to_win)
                );
            }
            let _ = writeln!(s);
        }
    }

    if let Section::Computed(t) = &r.tiers {
        let _ = writeln!(s, "\n## Recommended tiers\n");
        let _ = writeln!(
            s,
            "Among accounts in the ICP: Tier 1 from fit score {:.1}, Tier 2 from {:.1}, Tier 3 the rest. {}.\n",
            t.tier1_min_score, t.tier2_min_score, t.score_method
        );
        let _ = writeln!(s, "| tier | accounts | mean fit score | win rate (training) | 95% interval | expected value |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for x in &t.tiers {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                x.tier
                    .map_or_else(|| "outside ICP".into(), |t| format!("Tier {t}")),
                x.accounts,
                x.mean_fit_score
                    .map_or_else(|| "–".into(), |v| format!("{v:.1}")),
                pct(x.outcomes.win_rate),
                interval(x.outcomes.win_rate_interval),
                money(Some(x.expected_value))
            );
        }
        match (&t.validation, &t.validation_note) {
            (Some(v), _) => {
                let _ = writeln!(
                    s,
                    "\n**Out-of-time validation ({} to {})**: {}.\n",
                    v.holdout.from, v.holdout.to, v.text
                );
                let _ = writeln!(s, "| tier | closed deals | win rate | 95% interval |");
                let _ = writeln!(s, "|---|---|---|---|");
                for x in &v.tiers {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} |",
                        x.tier
                            .map_or_else(|| "outside ICP".into(), |t| format!("Tier {t}")),
                        x.outcomes.won + x.outcomes.lost,
                        pct(x.outcomes.win_rate),
                        interval(x.outcomes.win_rate_interval)
                    );
                }
                let _ = writeln!(s);
                for c in &v.comparisons {
                    let _ = writeln!(s, "- {}", c.verdict_text);
                }
                if !v.calibration.is_empty() {
                    let _ = writeln!(s, "\nCalibration on held-out deals:\n\n| predicted | closed deals | mean predicted | observed |\n|---|---|---|---|");
                    for b in &v.calibration {
                        let _ = writeln!(
                            s,
                            "| {:.0}–{:.0}% | {} | {} | {} |",
                            100.0 * b.lo,
                            100.0 * b.hi,
                            b.closed_deals,
                            pct(Some(b.mean_predicted)),
                            pct(Some(b.observed_win_rate))
                        );
                    }
                }
            }
            (None, Some(note)) => {
                let _ = writeln!(s, "\nOut-of-time validation: {note}.");
            }
            (None, None) => {}
        }
    }

    if let Section::Computed(ct) = &r.current_tiers {
        let _ = writeln!(s, "\n## Current tiers\n\n**{}**\n", ct.verdict);
        let _ = writeln!(s, "| tier | accounts | closed deals | win rate | 95% interval | P(win ≤ 90 d) | avg won amount |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for t in &ct.tiers {
            let o = &t.outcomes;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                t.tier
                    .map_or_else(|| "untiered".into(), |t| format!("Tier {t}")),
                o.accounts,
                o.won + o.lost,
                pct(o.win_rate),
                interval(o.win_rate_interval),
                horizon(o, 90),
                money(o.velocity.avg_won_amount)
            );
        }
        let _ = writeln!(s);
        for c in &ct.comparisons {
            let _ = writeln!(s, "- {}", c.verdict_text);
        }
        let _ = writeln!(s, "- {}", ct.icp_gap.text);
    }

    let _ = writeln!(s, "\n## How k was chosen\n");
    let _ = writeln!(
        s,
        "| k | silhouette | inertia per account | smallest segment | meets minimum size |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for c in &r.clustering.candidates {
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {:.1}% | {} |",
            c.k,
            c.silhouette
                .map_or_else(|| "–".into(), |v| format!("{v:.3}")),
            c.inertia_per_account,
            100.0 * c.smallest_segment_share,
            if c.meets_min_size { "yes" } else { "no" }
        );
    }

    let _ = writeln!(s, "\n## Data quality\n");
    if dq.deals_dropped.is_empty() {
        let _ = writeln!(s, "No deal was dropped.");
    } else {
        for (reason, n) in &dq.deals_dropped {
            let _ = writeln!(s, "- {n} deals dropped: {}", reason.replace('_', " "));
        }
    }
    if dq.deals_reopened_at_as_of > 0 {
        let _ = writeln!(
            s,
            "- {} deals closed after the as-of date are counted as open",
            dq.deals_reopened_at_as_of
        );
    }
    let _ = writeln!(s, "- {} accounts have no deal", dq.accounts_without_deals);
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
                .to_lowercase()
            } else {
                format!("{} ({:?})", f.name, f.kind).to_lowercase()
            }
        })
        .collect();
    let _ = writeln!(s, "- features used: {}", used.join(", "));
    for sk in &dq.features_skipped {
        let _ = writeln!(s, "- skipped `{}`: {}", sk.column, sk.reason);
    }
    for w in &dq.warnings {
        let _ = writeln!(s, "- warning: {w}");
    }
    s
}
